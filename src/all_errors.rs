//! The error of any operation of the crate: every specific error (of
//! every layer) converts into it, for `?` in applications and examples.
//! It sits above the layers and none of them uses it.

use core::fmt;

#[cfg(feature = "qr")]
use crate::error::QrError;
use crate::error::{
    CodeError, MigrationError, ParamError, SecretError, TimeError, UriError, VerifyError,
};

/// Any error of this crate, for callers that handle them alike.
///
/// Every specific error converts into it with `?`.
///
/// ```
/// fn new_key() -> Result<mfa::Totp, mfa::Error> {
///     let secret = mfa::Secret::generate()?;
///     Ok(mfa::Totp::new(&secret, mfa::TotpConfig::default())?)
/// }
/// assert!(new_key().is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// See [`SecretError`].
    Secret(SecretError),
    /// See [`ParamError`].
    Param(ParamError),
    /// See [`TimeError`].
    Time(TimeError),
    /// See [`CodeError`].
    Code(CodeError),
    /// See [`VerifyError`].
    Verify(VerifyError),
    /// See [`UriError`].
    Uri(UriError),
    /// See [`MigrationError`].
    Migration(MigrationError),
    /// See [`QrError`].
    #[cfg(feature = "qr")]
    #[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
    Qr(QrError),
    /// See [`SealError`](crate::SealError).
    #[cfg(feature = "seal")]
    #[cfg_attr(docsrs, doc(cfg(feature = "seal")))]
    Seal(crate::SealError),
    /// See [`CodecError`](crate::CodecError).
    #[cfg(feature = "codec")]
    #[cfg_attr(docsrs, doc(cfg(feature = "codec")))]
    Codec(crate::CodecError),
    /// See [`VerifyFailure`](crate::VerifyFailure).
    Failure(crate::VerifyFailure),
    /// See [`StoreError`](crate::StoreError), for a store that cannot fail
    /// by itself, such as `MemoryStore`.
    Store(crate::StoreError),
    /// See [`OobError`](crate::OobError).
    Oob(crate::OobError),
    /// See [`DestinationError`](crate::DestinationError).
    Destination(crate::DestinationError),
    /// See [`RecoveryError`](crate::RecoveryError).
    Recovery(crate::RecoveryError),
    /// See [`FlowError`](crate::FlowError).
    Flow(crate::FlowError),
    /// See [`DeviceTokenError`](crate::DeviceTokenError).
    DeviceToken(crate::DeviceTokenError),
    /// See [`NameError`](crate::NameError).
    Name(crate::NameError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Secret(e) => e.fmt(f),
            Self::Param(e) => e.fmt(f),
            Self::Time(e) => e.fmt(f),
            Self::Code(e) => e.fmt(f),
            Self::Verify(e) => e.fmt(f),
            Self::Uri(e) => e.fmt(f),
            Self::Migration(e) => e.fmt(f),
            #[cfg(feature = "qr")]
            Self::Qr(e) => e.fmt(f),
            #[cfg(feature = "seal")]
            Self::Seal(e) => e.fmt(f),
            #[cfg(feature = "codec")]
            Self::Codec(e) => e.fmt(f),
            Self::Failure(e) => e.fmt(f),
            Self::Store(e) => e.fmt(f),
            Self::Oob(e) => e.fmt(f),
            Self::Destination(e) => e.fmt(f),
            Self::Recovery(e) => e.fmt(f),
            Self::Flow(e) => e.fmt(f),
            Self::DeviceToken(e) => e.fmt(f),
            Self::Name(e) => e.fmt(f),
        }
    }
}

/// Transparent: `Display` is the inner error's, and so is `source` (the
/// inner error is not its own source, or a reporter would print it twice).
impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Secret(e) => e.source(),
            Self::Param(e) => e.source(),
            Self::Time(e) => e.source(),
            Self::Code(e) => e.source(),
            Self::Verify(e) => e.source(),
            Self::Uri(e) => e.source(),
            Self::Migration(e) => e.source(),
            #[cfg(feature = "qr")]
            Self::Qr(e) => e.source(),
            #[cfg(feature = "seal")]
            Self::Seal(e) => e.source(),
            #[cfg(feature = "codec")]
            Self::Codec(e) => e.source(),
            Self::Failure(e) => e.source(),
            Self::Store(e) => e.source(),
            Self::Oob(e) => e.source(),
            Self::Destination(e) => e.source(),
            Self::Recovery(e) => e.source(),
            Self::Flow(e) => e.source(),
            Self::DeviceToken(e) => e.source(),
            Self::Name(e) => e.source(),
        }
    }
}

macro_rules! into_error {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Self::$variant(e)
            }
        }
    )*};
}

into_error!(
    Secret(SecretError),
    Param(ParamError),
    Time(TimeError),
    Code(CodeError),
    Verify(VerifyError),
    Failure(crate::VerifyFailure),
    Store(crate::StoreError),
    Oob(crate::OobError),
    Destination(crate::DestinationError),
    Recovery(crate::RecoveryError),
    Flow(crate::FlowError),
    DeviceToken(crate::DeviceTokenError)
);

/// For stores that cannot fail, such as `MemoryStore`, so
/// that `?` works on their results.
impl From<core::convert::Infallible> for Error {
    fn from(never: core::convert::Infallible) -> Self {
        match never {}
    }
}

into_error!(
    Uri(UriError),
    Migration(MigrationError),
    Name(crate::NameError)
);

#[cfg(feature = "qr")]
into_error!(Qr(QrError));

#[cfg(feature = "seal")]
into_error!(Seal(crate::SealError));
#[cfg(feature = "codec")]
into_error!(Codec(crate::CodecError));

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use core::error::Error as _;

    /// Transparent: the inner error's text, and the inner error's source.
    #[test]
    fn shows_and_sources_as_the_inner_error() {
        let code = CodeError::NotADigit { position: 2 };
        let inner = VerifyError::Malformed(code);
        let e = Error::from(inner);
        assert_eq!(e.to_string(), inner.to_string());
        assert_eq!(e.source().map(ToString::to_string), Some(code.to_string()));
    }
}
