//! The console's keys: the code-hashing and tagging key of the flows
//! (`OobKey`) and the key that seals stored records (`SealingKey`), from
//! the environment, a key file, or generated into the key file on the
//! first run (a development default, so that restarts keep working).

use std::path::Path;

use base64ct::{Base64, Encoding};
use mfa::{OobKey, SealingKey};

/// The environment variable holding the flows' key (Base64, 32 bytes).
pub const OOB_ENV: &str = "MFA_CONSOLE_OOB_KEY";
/// The environment variable holding the sealing key (Base64, 32 bytes, id 1).
pub const SEALING_ENV: &str = "MFA_CONSOLE_SEALING_KEY";

/// The keys the console runs with.
#[derive(Debug)]
pub struct Keys {
    /// Hashes one-time codes and tags flow state.
    pub oob: OobKey,
    /// Seals the stored records.
    pub sealing: SealingKey,
}

impl Keys {
    /// From the environment if both variables are set; otherwise from the
    /// key file at `path`, which is written with new keys if missing.
    ///
    /// # Errors
    ///
    /// A key that does not decode, or a key file that cannot be read or
    /// written.
    pub fn load(path: &Path) -> Result<Self, crate::BoxError> {
        if let (Ok(oob), Ok(sealing)) = (std::env::var(OOB_ENV), std::env::var(SEALING_ENV)) {
            return Self::parse(&oob, &sealing);
        }
        if path.exists() {
            let text = std::fs::read_to_string(path)?;
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
                    .map(str::trim)
                    .ok_or_else(|| format!("{}: no `{name}=` line", path.display()))
            };
            return Self::parse(field("oob")?, field("sealing")?);
        }
        let keys = Self {
            oob: OobKey::generate()?,
            sealing: SealingKey::generate(1)?,
        };
        let text = format!(
            "# mfa-console development keys, generated on first run. Keep them secret.\noob={}\nsealing={}\n",
            Base64::encode_string(keys.oob.expose_bytes()),
            keys.sealing.expose_base64().as_str()
        );
        write_private(path, &text)?;
        eprintln!("console: generated development keys in {}", path.display());
        Ok(keys)
    }

    fn parse(oob: &str, sealing: &str) -> Result<Self, crate::BoxError> {
        let bytes = Base64::decode_vec(oob.trim()).map_err(|e| format!("the flows key: {e}"))?;
        Ok(Self {
            oob: OobKey::from_bytes(&bytes)?,
            sealing: SealingKey::from_base64(1, sealing.trim())?,
        })
    }
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}
