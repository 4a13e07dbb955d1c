//! Byte arrays in serialized records as unpadded Base64url text, not as
//! arrays of numbers: a stored account is about half the size.

use alloc::string::String;

use base64ct::{Base64UrlUnpadded, Encoding};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

/// Writes `bytes` as unpadded Base64url.
pub(crate) fn serialize<S: Serializer, const N: usize>(
    bytes: &[u8; N],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    // 4 characters per 3 bytes: 43 for 32 bytes; the arrays here are at most 32.
    let mut buf = [0u8; 64];
    let text = Base64UrlUnpadded::encode(bytes, &mut buf)
        .map_err(|_| serde::ser::Error::custom("a byte field too long to encode"))?;
    serializer.serialize_str(text)
}

/// Reads exactly `N` bytes of unpadded Base64url.
pub(crate) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
    deserializer: D,
) -> Result<[u8; N], D::Error> {
    let text = String::deserialize(deserializer)?;
    let mut out = [0u8; N];
    match Base64UrlUnpadded::decode(text.as_bytes(), &mut out) {
        Ok(decoded) if decoded.len() == N => Ok(out),
        _ => Err(D::Error::custom(
            "a byte field must be unpadded Base64url of its exact length",
        )),
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug)]
    struct Four(#[serde(with = "super")] [u8; 4]);

    /// Exactly `N` bytes: fewer are refused, not padded with zeros.
    #[test]
    fn reads_exactly_its_length() {
        assert_eq!(
            serde_json::from_str::<Four>("\"AQIDBA\"").map(|f| f.0).ok(),
            Some([1, 2, 3, 4])
        );
        for short_or_long in ["\"AQID\"", "\"AQIDBAU\""] {
            assert!(
                serde_json::from_str::<Four>(short_or_long).is_err(),
                "{short_or_long}"
            );
        }
    }
}
