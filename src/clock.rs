//! The system clock, for the `*_now()` conveniences.

use crate::error::TimeError;

/// The system clock in Unix seconds: the `now` every time-dependent
/// function of this crate takes. The core never reads a clock itself; this
/// is for hosts that have one.
///
/// # Errors
///
/// [`TimeError::ClockBeforeUnixEpoch`] if the clock reads a time before
/// 1970.
///
/// ```
/// let now = mfa::unix_now()?;
/// assert!(now > 1_700_000_000);
/// # Ok::<(), mfa::Error>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub fn unix_now() -> Result<u64, TimeError> {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| TimeError::ClockBeforeUnixEpoch)
}
