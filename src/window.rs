//! How many TOTP steps around "now" a code may come from.

use crate::error::ParamError;

/// The TOTP steps accepted besides the current one: `behind` earlier steps
/// (the code was typed just before the step changed, or the phone's clock is
/// slow) and `ahead` later ones (the phone's clock is fast).
///
/// RFC 6238 §5.2 recommends at most one step of delay, so the default is one
/// step each way. Each side is capped at [`Window::MAX`] so that a
/// misconfiguration cannot make verification expensive; larger clock
/// offsets are handled by resynchronisation and recorded drift instead.
///
/// ```
/// use mfa::Window;
///
/// assert_eq!(Window::default(), Window::symmetric(1)?);
/// let late_only = Window::new(2, 0)?;
/// assert_eq!((late_only.behind(), late_only.ahead()), (2, 0));
/// assert!(Window::symmetric(Window::MAX + 1).is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Window {
    behind: u8,
    ahead: u8,
}

impl Window {
    /// The most steps allowed on one side: 10 (21 candidates, five minutes
    /// each way at 30 s).
    pub const MAX: u8 = 10;

    /// One step each way, the default.
    pub(crate) const DEFAULT: Self = Self {
        behind: 1,
        ahead: 1,
    };

    /// Only the current step.
    pub const EXACT: Self = Self {
        behind: 0,
        ahead: 0,
    };

    /// `behind` steps before the current one and `ahead` after it.
    ///
    /// # Errors
    ///
    /// [`ParamError::WindowTooLarge`] if either side exceeds [`Window::MAX`].
    ///
    /// ```
    /// assert!(mfa::Window::new(1, 0).is_ok());
    /// ```
    pub const fn new(behind: u8, ahead: u8) -> Result<Self, ParamError> {
        if behind > Self::MAX {
            return Err(ParamError::WindowTooLarge {
                steps: behind,
                max: Self::MAX,
            });
        }
        if ahead > Self::MAX {
            return Err(ParamError::WindowTooLarge {
                steps: ahead,
                max: Self::MAX,
            });
        }
        Ok(Self { behind, ahead })
    }

    /// The same number of steps on both sides.
    ///
    /// # Errors
    ///
    /// [`ParamError::WindowTooLarge`] above [`Window::MAX`].
    ///
    /// ```
    /// assert_eq!(mfa::Window::symmetric(0)?, mfa::Window::EXACT);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub const fn symmetric(steps: u8) -> Result<Self, ParamError> {
        Self::new(steps, steps)
    }

    /// Steps accepted before the current one.
    ///
    /// ```
    /// assert_eq!(mfa::Window::default().behind(), 1);
    /// ```
    #[must_use]
    pub const fn behind(self) -> u8 {
        self.behind
    }

    /// Steps accepted after the current one.
    ///
    /// ```
    /// assert_eq!(mfa::Window::default().ahead(), 1);
    /// ```
    #[must_use]
    pub const fn ahead(self) -> u8 {
        self.ahead
    }
}

impl Default for Window {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Deserializes `{behind, ahead}`, validated by [`Window::new`].
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> serde::Deserialize<'de> for Window {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename = "Window", deny_unknown_fields)]
        struct Fields {
            behind: u8,
            ahead: u8,
        }
        let w = <Fields as serde::Deserialize>::deserialize(deserializer)?;
        Self::new(w.behind, w.ahead).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_read_their_own_side() {
        let window = Window::new(2, 3).expect("within the maximum");
        assert_eq!((window.behind(), window.ahead()), (2, 3));
    }

    #[test]
    fn bounds() {
        assert!(Window::new(Window::MAX, Window::MAX).is_ok());
        assert_eq!(
            Window::new(Window::MAX + 1, 0),
            Err(ParamError::WindowTooLarge { steps: 11, max: 10 })
        );
        assert_eq!(
            Window::new(0, Window::MAX + 1),
            Err(ParamError::WindowTooLarge { steps: 11, max: 10 })
        );
    }
}
