//! Audit events: what changed in an account's protection, and every code
//! refused, for the host's security log.

use core::fmt;

use super::Credential;
use super::factors::{AdminId, FactorId, Reason};
use super::trust::DeviceId;

/// A security-relevant event of an account, for the host's audit log
/// ([`Effect::Audit`](crate::Effect::Audit) carries it with the
/// [`AccountId`](crate::AccountId) and the time). Every notice to the
/// owner has its audit event; a refused code has one too (slow guessing
/// shows in the log, django-otp #75), without a notice.
///
/// No personal data: factor ids, device ids, kinds and counts, never a
/// phone number, an e-mail address, a factor name, a code or a device
/// token. The [`AdminId`] and
/// [`Reason`] of an admin reset are the host's own text: keep personal
/// data out of them.
///
/// ```
/// use mfa::{Audit, Credential};
///
/// let event = Audit::CodeRejected { credential: Credential::RecoveryCode, factor: None };
/// assert_eq!(event.to_string(), "a code was rejected (recovery codes)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Audit {
    /// Protection was turned on with its first factor.
    ProtectionOn {
        /// The factor.
        factor: FactorId,
        /// Its kind.
        kind: &'static str,
    },
    /// Protection was turned off by the owner.
    ProtectionOff,
    /// A factor was added.
    FactorAdded {
        /// The factor.
        factor: FactorId,
        /// Its kind.
        kind: &'static str,
    },
    /// A factor was removed.
    FactorRemoved {
        /// The factor.
        factor: FactorId,
    },
    /// A factor was replaced in place (another key, phone or method).
    FactorChanged {
        /// The factor.
        factor: FactorId,
        /// The kind of its new record.
        kind: &'static str,
    },
    /// A factor was renamed (the names stay out of the log).
    FactorRenamed {
        /// The factor.
        factor: FactorId,
    },
    /// The protected scenarios changed.
    ScenariosChanged,
    /// A recovery code passed a check.
    RecoveryCodeUsed {
        /// Unused codes left.
        remaining: usize,
    },
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesRegenerated,
    /// Too many wrong codes locked a credential until `until`.
    LockedOut {
        /// What was locked.
        credential: Credential,
        /// Which factor, for [`Credential::Factor`] (`None`: a factor
        /// being set up, or every factor of the account, locked by the
        /// account throttle, [`Protection::throttle`](crate::Protection::throttle)).
        factor: Option<FactorId>,
        /// When attempts are evaluated again (Unix seconds).
        until: u64,
    },
    /// A code was refused and counted as a failure.
    CodeRejected {
        /// The credential it was tried as.
        credential: Credential,
        /// Which factor, for [`Credential::Factor`] (`None`: a factor
        /// being set up).
        factor: Option<FactorId>,
    },
    /// A device was remembered ([`Protection::trust_device`](crate::Protection::trust_device)).
    DeviceTrusted {
        /// Its public id (not its token).
        device: DeviceId,
    },
    /// A device token was offered at a protected scenario and did not pass
    /// ([`Verification::start_trusted`](crate::Verification::start_trusted)):
    /// revoked, expired, made before a factor change, for another
    /// scenario or another account, or forged. A stolen or stale cookie
    /// being tried shows in the log. The check went on as a plain
    /// challenge: the user is told nothing, and no notice goes out.
    DeviceRefused {
        /// The id the token names (not the token; for a forged one, an id
        /// the account may never have had).
        device: DeviceId,
    },
    /// A remembered device passed a check, without a code
    /// ([`Verification::start_trusted`](crate::Verification::start_trusted)).
    /// Nothing is written for a pass: this event is how a host keeps a
    /// device's last use, and how a copied cookie in use shows in the log.
    DevicePassed {
        /// The device.
        device: DeviceId,
    },
    /// Remembered devices were forgotten by the owner
    /// ([`Protection::revoke_device`](crate::Protection::revoke_device),
    /// [`Protection::revoke_all_devices`](crate::Protection::revoke_all_devices)).
    DevicesRevoked {
        /// How many.
        count: usize,
    },
    /// An administrator turned the account's protection off.
    AdminReset {
        /// Who.
        admin: AdminId,
        /// Why.
        reason: Reason,
    },
}

impl fmt::Display for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ProtectionOn { factor, kind } => {
                write!(f, "protection turned on with factor {factor} ({kind})")
            }
            Self::ProtectionOff => f.write_str("protection turned off"),
            Self::FactorAdded { factor, kind } => write!(f, "factor {factor} ({kind}) added"),
            Self::FactorRemoved { factor } => write!(f, "factor {factor} removed"),
            Self::FactorChanged { factor, kind } => {
                write!(f, "factor {factor} replaced ({kind})")
            }
            Self::FactorRenamed { factor } => write!(f, "factor {factor} renamed"),
            Self::ScenariosChanged => f.write_str("protected scenarios changed"),
            Self::RecoveryCodeUsed { remaining } => {
                write!(f, "a recovery code was used; {remaining} left")
            }
            Self::RecoveryCodesRegenerated => f.write_str("recovery codes regenerated"),
            Self::LockedOut {
                credential,
                factor,
                until,
            } => {
                write!(f, "{credential}")?;
                if let Some(factor) = factor {
                    write!(f, " ({factor})")?;
                }
                write!(f, " locked until {until}")
            }
            Self::CodeRejected { credential, factor } => {
                write!(f, "a code was rejected ({credential}")?;
                if let Some(factor) = factor {
                    write!(f, " {factor}")?;
                }
                f.write_str(")")
            }
            Self::DeviceTrusted { device } => write!(f, "device {device} remembered"),
            Self::DeviceRefused { device } => {
                write!(f, "device {device} refused; challenged instead")
            }
            Self::DevicePassed { device } => write!(f, "device {device} passed without a code"),
            Self::DevicesRevoked { count } => write!(f, "{count} remembered device(s) revoked"),
            Self::AdminReset { admin, reason } => {
                write!(f, "protection reset by administrator {admin}: {reason}")
            }
        }
    }
}
