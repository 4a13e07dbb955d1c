//! Reading `otpauth://` URIs, strictly where it matters and leniently
//! where real writers differ.

use alloc::string::String;
use alloc::vec::Vec;
use core::str::FromStr;

use zeroize::Zeroizing;

use super::{KeyUri, OtpType, Param, percent};
use crate::algorithm::Algorithm;
use crate::code::Digits;
use crate::error::UriError;
use crate::secret::Secret;

/// Whether `s` starts with `prefix`, in any ASCII case; returns the rest.
pub(super) fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// The position, counting characters from 1, of byte `offset` of `part`,
/// a slice of `input`.
pub(super) fn position_in(input: &str, part: &str, offset: usize) -> usize {
    let start = part.as_ptr().addr().wrapping_sub(input.as_ptr().addr());
    let byte = start.saturating_add(offset);
    input
        .get(..byte)
        .map_or(byte, |before| before.chars().count())
        .saturating_add(1)
}

/// Percent-decodes `part` of `input`, a path (`+` is a plus sign); the
/// error names the position in `input`.
pub(super) fn decode_in(input: &str, part: &str) -> Result<Zeroizing<Vec<u8>>, UriError> {
    percent::decode(part).map_err(|offset| UriError::InvalidPercentEncoding {
        position: position_in(input, part, offset),
    })
}

/// Percent-decodes `part` of `input`, a query name or value (`+` is a
/// space, as form decoding and every authenticator app read it).
fn decode_query_in(input: &str, part: &str) -> Result<Zeroizing<Vec<u8>>, UriError> {
    percent::decode_query(part).map_err(|offset| UriError::InvalidPercentEncoding {
        position: position_in(input, part, offset),
    })
}

/// Decoded bytes as text.
fn into_text(mut bytes: Zeroizing<Vec<u8>>) -> Result<String, UriError> {
    // Moves the buffer out, leaving an empty one to zeroize.
    String::from_utf8(core::mem::take(&mut *bytes)).map_err(|_| UriError::InvalidUtf8)
}

/// A whole number in plain ASCII decimal: no sign, no space.
fn decimal<T: FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The raw values of the parameters that carry meaning, percent-decoded;
/// `None` until seen.
#[derive(Default)]
struct Known {
    secret: Option<Zeroizing<Vec<u8>>>,
    issuer: Option<Zeroizing<Vec<u8>>>,
    algorithm: Option<Zeroizing<Vec<u8>>>,
    digits: Option<Zeroizing<Vec<u8>>>,
    period: Option<Zeroizing<Vec<u8>>>,
    counter: Option<Zeroizing<Vec<u8>>>,
}

impl Known {
    fn slot(&mut self, param: Param) -> &mut Option<Zeroizing<Vec<u8>>> {
        match param {
            Param::Secret => &mut self.secret,
            Param::Issuer => &mut self.issuer,
            Param::Algorithm => &mut self.algorithm,
            Param::Digits => &mut self.digits,
            Param::Period => &mut self.period,
            Param::Counter => &mut self.counter,
        }
    }
}

/// A decoded value as text; an empty value counts as absent.
fn text(value: Option<&Zeroizing<Vec<u8>>>) -> Result<Option<&str>, UriError> {
    match value {
        Some(bytes) if !bytes.is_empty() => core::str::from_utf8(bytes)
            .map(Some)
            .map_err(|_| UriError::InvalidUtf8),
        _ => Ok(None),
    }
}

/// Splits a decoded label at its first colon into issuer and account,
/// dropping the spaces after the colon; an empty issuer is none. Any
/// further colon belongs to the account, as `pyotp`, Aegis and Google
/// Authenticator read `Example:alice@google.com:443` (pass-otp's tests).
pub(super) fn split_label(label: &str) -> (Option<String>, String) {
    match label.split_once(':') {
        Some((issuer, account)) => {
            let account = account.trim_start_matches(' ');
            let issuer = (!issuer.is_empty()).then(|| String::from(issuer));
            (issuer, String::from(account))
        }
        None => (None, String::from(label)),
    }
}

/// Whether a parameter marks a Steam Guard key, whose codes are five
/// characters of Steam's alphabet (`encoder=steam`, as KeePassXC and
/// `pyotp` write it).
pub(super) fn is_steam_encoder(name: &str, value: &str) -> bool {
    name.eq_ignore_ascii_case("encoder") && value.eq_ignore_ascii_case("steam")
}

pub(super) fn parse(input: &str) -> Result<KeyUri, UriError> {
    if input.len() > KeyUri::MAX_LEN {
        return Err(UriError::TooLong {
            len: input.len(),
            max: KeyUri::MAX_LEN,
        });
    }
    let uri = input.trim_matches(|c: char| c.is_ascii_whitespace());
    let Some(rest) = strip_prefix_ignore_case(uri, "otpauth://") else {
        return Err(
            if strip_prefix_ignore_case(uri, "otpauth-migration:").is_some() {
                UriError::MigrationUri
            } else {
                UriError::NotOtpauth
            },
        );
    };
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    // Everything after the type's slash is the label, so a `/` left
    // unescaped in it is part of the name.
    let (kind, label) = path.split_once('/').unwrap_or((path, ""));
    let is_totp = if kind.eq_ignore_ascii_case("totp") {
        true
    } else if kind.eq_ignore_ascii_case("hotp") {
        false
    } else if kind.eq_ignore_ascii_case("steam") {
        // Aegis and ente Auth export Steam Guard keys so.
        return Err(UriError::Steam);
    } else {
        return Err(UriError::UnknownType);
    };

    // The label: `issuer:account`, where the colon may be `%3A` and spaces
    // may follow it. Decoding first makes both spellings one colon.
    let (label_issuer, account) = split_label(&into_text(decode_in(input, label)?)?);

    let mut known = Known::default();
    let mut extra = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = into_text(decode_query_in(input, raw_name)?)?;
        match Param::from_name(&name) {
            Some(param) => {
                let value = decode_query_in(input, raw_value)?;
                let slot = known.slot(param);
                if slot.is_some() {
                    return Err(UriError::DuplicateParameter { name: param.name() });
                }
                *slot = Some(value);
            }
            None => {
                let value = into_text(decode_query_in(input, raw_value)?)?;
                if is_steam_encoder(&name, &value) {
                    return Err(UriError::Steam);
                }
                extra.push((name, value));
            }
        }
    }

    let secret = match text(known.secret.as_ref())? {
        Some(base32) => Secret::from_base32_legacy(base32)?,
        None => return Err(UriError::MissingSecret),
    };
    let algorithm = match text(known.algorithm.as_ref())? {
        Some(name) => Algorithm::from_str(name).map_err(|_| UriError::UnknownAlgorithm)?,
        None => Algorithm::Sha1,
    };
    let digits = match text(known.digits.as_ref())? {
        Some(n) => decimal::<u8>(n)
            .and_then(|n| Digits::new(n).ok())
            .ok_or(UriError::InvalidDigits)?,
        None => Digits::SIX,
    };
    let otp_type = if is_totp {
        let period = match text(known.period.as_ref())? {
            Some(p) => decimal::<u64>(p)
                .filter(|&p| (1..=KeyUri::MAX_PERIOD).contains(&p))
                .ok_or(UriError::InvalidPeriod)?,
            None => 30,
        };
        OtpType::Totp { period }
    } else {
        // Without a counter, 0: Google Authenticator for Android
        // (`testAccountSetup_validHotpUriWithoutCounterAccepted`), FreeOTP,
        // `pyotp` and otplib all start there.
        let counter = match text(known.counter.as_ref())? {
            Some(c) => decimal::<u64>(c).ok_or(UriError::InvalidCounter)?,
            None => 0,
        };
        OtpType::Hotp { counter }
    };
    let issuer_param = text(known.issuer.as_ref())?.map(String::from);

    KeyUri {
        otp_type,
        secret,
        algorithm,
        digits,
        account,
        label_issuer,
        issuer_param,
        extra,
    }
    .fitting()
}
