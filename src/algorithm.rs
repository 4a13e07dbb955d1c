//! The HMAC hash function of a key.

use core::fmt;
use core::str::FromStr;

use crate::error::ParamError;

/// The hash function under HMAC: SHA-1 (the RFC 4226 default and the only
/// one every authenticator app supports), SHA-256 or SHA-512 (RFC 6238).
///
/// Parsing is case-insensitive and accepts an optional hyphen, so `sha1`,
/// `SHA1` and `SHA-1` all name [`Algorithm::Sha1`].
///
/// ```
/// use mfa::Algorithm;
///
/// let alg: Algorithm = "sha256".parse()?;
/// assert_eq!(alg, Algorithm::Sha256);
/// assert_eq!(alg.to_string(), "SHA256");
/// assert_eq!(Algorithm::default(), Algorithm::Sha1);
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC-SHA-1 (RFC 4226). The default, supported by every app.
    #[default]
    Sha1,
    /// HMAC-SHA-256 (RFC 6238).
    Sha256,
    /// HMAC-SHA-512 (RFC 6238).
    Sha512,
}

impl Algorithm {
    /// The name used in `otpauth://` URIs and by `oathtool`: `SHA1`,
    /// `SHA256` or `SHA512`.
    ///
    /// ```
    /// assert_eq!(mfa::Algorithm::Sha512.as_str(), "SHA512");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }

    /// The output length of the hash in bytes (20, 32 or 64), which is also
    /// the length of a secret generated for it (RFC 6238 Appendix A).
    ///
    /// ```
    /// assert_eq!(mfa::Algorithm::Sha256.output_len(), 32);
    /// ```
    #[must_use]
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = ParamError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const NAMES: [(&str, Algorithm); 6] = [
            ("SHA1", Algorithm::Sha1),
            ("SHA-1", Algorithm::Sha1),
            ("SHA256", Algorithm::Sha256),
            ("SHA-256", Algorithm::Sha256),
            ("SHA512", Algorithm::Sha512),
            ("SHA-512", Algorithm::Sha512),
        ];
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, alg)| alg)
            .ok_or(ParamError::UnknownAlgorithm)
    }
}

/// Serializes as [`as_str`](Algorithm::as_str): `SHA1`, `SHA256` or
/// `SHA512`.
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Deserializes a name as [`FromStr`] parses it; any other name is an
/// error.
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = Algorithm;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("SHA1, SHA256 or SHA512")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Algorithm, E> {
                name.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[cfg(feature = "serde")]
    #[test]
    fn deserialize_expects_an_algorithm_name() {
        let error = serde_json::from_str::<Algorithm>("1").map_err(|e| e.to_string());
        assert_eq!(
            error,
            Err(
                "invalid type: integer `1`, expected SHA1, SHA256 or SHA512 at line 1 column 1"
                    .into()
            )
        );
    }

    #[test]
    fn parses_case_insensitively() {
        for (text, alg) in [
            ("sha1", Algorithm::Sha1),
            ("Sha-256", Algorithm::Sha256),
            ("SHA512", Algorithm::Sha512),
        ] {
            assert_eq!(text.parse::<Algorithm>(), Ok(alg));
        }
        for bad in ["", "md5", "sha", "sha1 ", "SHA384"] {
            assert_eq!(bad.parse::<Algorithm>(), Err(ParamError::UnknownAlgorithm));
        }
    }

    #[test]
    fn display_round_trips() {
        for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            assert_eq!(alg.to_string().parse::<Algorithm>(), Ok(alg));
        }
    }
}
