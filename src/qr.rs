//! QR codes of key URIs, as SVG, PNG and terminal text (feature `qr`).
//!
//! Encoding is `qrcodegen-no-heap` (Project Nayuki's encoder: pure Rust,
//! no dependency, `no_std`, `forbid(unsafe_code)`), run on buffers that
//! are zeroized afterwards; the PNG writer is the crate's own.

mod png;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use qrcodegen_no_heap as qrcodegen;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::QrError;
use crate::uri::{KeyUri, write_exact};

/// How much of a QR code may be damaged or hidden and still read (ISO/IEC
/// 18004). Higher levels make larger codes for the same text.
///
/// ```
/// assert_eq!(mfa::ErrorCorrection::default(), mfa::ErrorCorrection::Medium);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ErrorCorrection {
    /// About 7 % of the code may be lost.
    Low,
    /// About 15 %: the default, the usual choice for a code on a screen.
    #[default]
    Medium,
    /// About 25 %.
    Quartile,
    /// About 30 %.
    High,
}

impl ErrorCorrection {
    const fn to_qrcodegen(self) -> qrcodegen::QrCodeEcc {
        match self {
            Self::Low => qrcodegen::QrCodeEcc::Low,
            Self::Medium => qrcodegen::QrCodeEcc::Medium,
            Self::Quartile => qrcodegen::QrCodeEcc::Quartile,
            Self::High => qrcodegen::QrCodeEcc::High,
        }
    }
}

/// A QR code: a square of dark and light modules, with renderers that add
/// the 4-module light quiet zone readers need around it.
///
/// The code of a key URI shows the secret to anyone who sees it: its
/// modules and every rendering are zeroized on drop, and
/// [`Debug`](fmt::Debug) prints only the size.
///
/// ```
/// use mfa::{KeyUri, Secret, Totp, TotpConfig};
///
/// let totp = Totp::new(&Secret::generate()?, TotpConfig::default())?;
/// let qr = KeyUri::totp(&totp, "Example", "alice@example.com")?.to_qr()?;
/// let svg = qr.to_svg();      // for a web page
/// let png = qr.to_png(8)?;    // 8 pixels a module, for an <img> or a file
/// let text = qr.to_terminal(); // for a terminal
/// assert!(svg.starts_with("<svg"));
/// assert!(png.starts_with(b"\x89PNG"));
/// assert_eq!(text.lines().count(), (qr.size() + 8).div_ceil(2));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct QrCode {
    size: usize,
    /// Row by row, 1 for dark.
    modules: Vec<u8>,
}

impl QrCode {
    /// The light margin the renderers add on each side, in modules (the
    /// minimum ISO/IEC 18004 requires).
    pub const QUIET_ZONE: usize = 4;

    /// The largest PNG module size [`to_png`](Self::to_png) accepts, in
    /// pixels.
    pub const MAX_MODULE_PX: u8 = 32;

    /// Encodes text in the smallest QR code that holds it at `level` (or a
    /// higher level, when that fits in the same size).
    ///
    /// # Errors
    ///
    /// [`QrError::TooLong`] if the text does not fit in the largest QR code
    /// (2,331 bytes at [`ErrorCorrection::Medium`]).
    ///
    /// ```
    /// use mfa::{ErrorCorrection, QrCode};
    ///
    /// let qr = QrCode::encode("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP", ErrorCorrection::High)?;
    /// assert_eq!(qr.size(), 37); // version 5
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn encode(text: &str, level: ErrorCorrection) -> Result<Self, QrError> {
        let len = qrcodegen::Version::MAX.buffer_len();
        let mut temp = Zeroizing::new(alloc::vec![0u8; len]);
        let mut out = Zeroizing::new(alloc::vec![0u8; len]);
        let qr = qrcodegen::QrCode::encode_text(
            text,
            &mut temp,
            &mut out,
            level.to_qrcodegen(),
            qrcodegen::Version::MIN,
            qrcodegen::Version::MAX,
            None,
            true,
        )
        .map_err(|_| QrError::TooLong { len: text.len() })?;
        let side = qr.size();
        let mut modules =
            Vec::with_capacity(usize::try_from(side.saturating_mul(side)).unwrap_or(0));
        for y in 0..side {
            for x in 0..side {
                modules.push(u8::from(qr.get_module(x, y)));
            }
        }
        Ok(Self {
            size: usize::try_from(side).unwrap_or(0),
            modules,
        })
    }

    /// The number of modules on a side (21 to 177), without the quiet
    /// zone.
    ///
    /// ```
    /// let qr = mfa::QrCode::encode("hello", mfa::ErrorCorrection::Medium)?;
    /// assert_eq!(qr.size(), 21); // version 1
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn size(&self) -> usize {
        self.size
    }

    /// Whether the module at column `x`, row `y` is dark; outside the code
    /// (the quiet zone and beyond) everything is light.
    ///
    /// ```
    /// let qr = mfa::QrCode::encode("hello", mfa::ErrorCorrection::Medium)?;
    /// assert!(qr.is_dark(0, 0)); // a finder pattern's corner
    /// assert!(!qr.is_dark(qr.size(), 0));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.size
            && y.checked_mul(self.size)
                .and_then(|row| row.checked_add(x))
                .and_then(|i| self.modules.get(i))
                .is_some_and(|&m| m == 1)
    }

    /// Whether the module at a position counted from the quiet zone's
    /// corner is dark.
    fn is_dark_with_margin(&self, x: usize, y: usize) -> bool {
        match (
            x.checked_sub(Self::QUIET_ZONE),
            y.checked_sub(Self::QUIET_ZONE),
        ) {
            (Some(x), Some(y)) => self.is_dark(x, y),
            _ => false,
        }
    }

    /// The side with the quiet zone on both sides, in modules.
    const fn full_size(&self) -> usize {
        self.size.saturating_add(Self::QUIET_ZONE.saturating_mul(2))
    }

    /// The code as an SVG image: black modules on an explicitly white
    /// square with the quiet zone, 8 pixels a module by default (the
    /// `viewBox` lets CSS scale it without blur).
    ///
    /// ```
    /// let qr = mfa::QrCode::encode("hello", mfa::ErrorCorrection::Medium)?;
    /// let svg = qr.to_svg();
    /// assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" width="232" height="232""#));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn to_svg(&self) -> Zeroizing<String> {
        write_exact(|out| self.write_svg(out))
    }

    fn write_svg(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        let n = self.full_size();
        write!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{px}" height="{px}" shape-rendering="crispEdges"><rect width="{n}" height="{n}" fill="#ffffff"/><path fill="#000000" d=""##,
            px = n.saturating_mul(8),
        )?;
        // One rectangle per horizontal run of dark modules.
        for y in 0..self.size {
            let mut x = 0;
            while x < self.size {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.size && self.is_dark(x, y) {
                        x = x.saturating_add(1);
                    }
                    let run = x.saturating_sub(start);
                    write!(
                        out,
                        "M{},{}h{run}v1h-{run}z",
                        start.saturating_add(Self::QUIET_ZONE),
                        y.saturating_add(Self::QUIET_ZONE),
                    )?;
                } else {
                    x = x.saturating_add(1);
                }
            }
        }
        out.write_str("\"/></svg>\n")
    }

    /// The code as a PNG image: 1-bit black and white with the quiet zone,
    /// `module_px` pixels a module (8 suits most screens).
    ///
    /// # Errors
    ///
    /// [`QrError::ModuleSize`] for 0 or more than
    /// [`MAX_MODULE_PX`](Self::MAX_MODULE_PX).
    ///
    /// ```
    /// let qr = mfa::QrCode::encode("hello", mfa::ErrorCorrection::Medium)?;
    /// let png = qr.to_png(4)?;
    /// assert_eq!(&png[12..16], b"IHDR");
    /// assert_eq!(&png[16..24], &[0, 0, 0, 116, 0, 0, 0, 116]); // (21 + 8) · 4 pixels
    /// assert!(qr.to_png(0).is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn to_png(&self, module_px: u8) -> Result<Zeroizing<Vec<u8>>, QrError> {
        if module_px == 0 || module_px > Self::MAX_MODULE_PX {
            return Err(QrError::ModuleSize { px: module_px });
        }
        let scale = usize::from(module_px);
        // At most 185 modules of 32 pixels: 5,920 pixels a side.
        let side = u32::try_from(self.full_size().saturating_mul(scale)).unwrap_or(0);
        Ok(png::encode(side, side, |x, y| {
            let module = |p: u32| {
                usize::try_from(p)
                    .ok()
                    .and_then(|p| p.checked_div(scale))
                    .unwrap_or(usize::MAX)
            };
            self.is_dark_with_margin(module(x), module(y))
        }))
    }

    /// The code as text for a terminal: each character is two modules,
    /// one above the other (`▀`, `▄`, `█`, space), with the quiet zone.
    ///
    /// Every line sets both colours (ANSI 256-colour black on white, which
    /// colour themes leave alone) and resets them before its newline, so
    /// the code reads the same on dark and light terminals. The text
    /// holds escape sequences: print it to a terminal, not to a file.
    ///
    /// ```
    /// let qr = mfa::QrCode::encode("hello", mfa::ErrorCorrection::Medium)?;
    /// let text = qr.to_terminal();
    /// let first = text.lines().next().unwrap_or_default();
    /// assert!(first.starts_with("\x1b[38;5;16;48;5;231m"));
    /// assert!(first.ends_with("\x1b[0m"));
    /// assert_eq!(text.lines().count(), 15); // (21 + 8) rows, two a line
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn to_terminal(&self) -> Zeroizing<String> {
        write_exact(|out| self.write_terminal(out))
    }

    fn write_terminal(&self, out: &mut dyn fmt::Write) -> fmt::Result {
        let n = self.full_size();
        for top in (0..n).step_by(2) {
            out.write_str("\x1b[38;5;16;48;5;231m")?;
            let bottom = top.saturating_add(1);
            for x in 0..n {
                out.write_char(
                    match (
                        self.is_dark_with_margin(x, top),
                        bottom < n && self.is_dark_with_margin(x, bottom),
                    ) {
                        (true, true) => '█',
                        (true, false) => '▀',
                        (false, true) => '▄',
                        (false, false) => ' ',
                    },
                )?;
            }
            out.write_str("\x1b[0m\n")?;
        }
        Ok(())
    }
}

impl fmt::Debug for QrCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QrCode")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl Drop for QrCode {
    fn drop(&mut self) {
        self.modules.zeroize();
    }
}

impl ZeroizeOnDrop for QrCode {}

impl KeyUri {
    /// The QR code of [`to_uri`](Self::to_uri), at
    /// [`ErrorCorrection::Medium`].
    ///
    /// # Errors
    ///
    /// [`QrError::TooLong`] if the URI does not fit in a QR code (very long
    /// issuer, account or extra parameters).
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let qr = mfa::KeyUri::totp(&totp, "Example", "alice@example.com")?.to_qr()?;
    /// assert!(qr.size() >= 21);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
    pub fn to_qr(&self) -> Result<QrCode, QrError> {
        self.to_qr_with(ErrorCorrection::Medium)
    }

    /// The QR code of [`to_uri`](Self::to_uri) at another error correction
    /// level.
    ///
    /// # Errors
    ///
    /// As [`to_qr`](Self::to_qr).
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let uri = mfa::KeyUri::totp(&totp, "Example", "alice@example.com")?;
    /// let low = uri.to_qr_with(mfa::ErrorCorrection::Low)?;
    /// assert!(low.size() <= uri.to_qr()?.size());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
    pub fn to_qr_with(&self, level: ErrorCorrection) -> Result<QrCode, QrError> {
        QrCode::encode(&self.to_uri(), level)
    }
}
