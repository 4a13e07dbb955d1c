//! QR codes of key URIs (feature `qr`): a real QR reader, `zbarimg` from
//! ZBar, decodes the PNG back to exactly the URI; the SVG, the terminal
//! text and the PNG pixels all show the same modules, with the quiet zone.
//!
//! A missing `zbarimg` makes the reader test pass with a notice on stderr,
//! unless `MFA_REQUIRE_INTEROP=1` is set (as in CI), which makes it a
//! failure.
#![cfg(feature = "qr")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::io::Write as _;
use std::process::Command;

use mfa::{
    Algorithm, Digits, ErrorCorrection, Hotp, HotpConfig, KeyUri, QrCode, QrError, Secret, Totp,
    TotpConfig,
};

fn totp_uri(secret_len: usize, issuer: &str, account: &str, config: TotpConfig) -> KeyUri {
    let bytes: Vec<u8> = (0..secret_len).map(|i| (i * 151 + 7) as u8).collect();
    let totp = Totp::new(&Secret::from_bytes(&bytes).unwrap(), config).unwrap();
    KeyUri::totp(&totp, issuer, account).unwrap()
}

/// URIs from short to long, with every kind of escape.
fn uris() -> Vec<KeyUri> {
    let hotp = Hotp::new(
        &Secret::from_bytes(b"12345678901234567890").unwrap(),
        HotpConfig::default(),
    )
    .unwrap();
    vec![
        totp_uri(20, "Example", "alice@example.com", TotpConfig::default()),
        totp_uri(
            32,
            "Zürich Bank & Co",
            "zoë 日本 🙂 a/b?c=d#e+f%g",
            TotpConfig::builder()
                .algorithm(Algorithm::Sha256)
                .digits(Digits::EIGHT)
                .period(60)
                .build()
                .unwrap(),
        ),
        totp_uri(
            128,
            &"Long Issuer Name ".repeat(8),
            &"very.long.account.name@example.com ".repeat(6),
            TotpConfig::builder()
                .algorithm(Algorithm::Sha512)
                .build()
                .unwrap(),
        ),
        KeyUri::hotp(&hotp, 42, "Example", "bob")
            .unwrap()
            .with_param("image", "https://example.com/logo.png")
            .unwrap(),
    ]
}

/// `zbarimg` is missing: a notice, or a failure under `MFA_REQUIRE_INTEROP=1`.
fn zbarimg_available() -> bool {
    let detail = match Command::new("zbarimg").arg("--version").output() {
        Ok(out) if out.status.success() => return true,
        Ok(out) => format!("`zbarimg --version` exited with {}", out.status),
        Err(e) => format!("cannot run `zbarimg`: {e}"),
    };
    let message = format!("QR decoding with zbarimg not run: {detail} (Debian: zbar-tools)");
    if std::env::var("MFA_REQUIRE_INTEROP").is_ok_and(|v| v.trim() == "1") {
        panic!("{message}; MFA_REQUIRE_INTEROP=1 requires it");
    }
    // Written to the stderr handle rather than with `eprintln!`, which the
    // test harness captures: this notice must show even on success.
    let _ = writeln!(std::io::stderr(), "{message}");
    false
}

/// Decodes a PNG with `zbarimg --quiet --raw`, through a temporary file.
fn zbar(png: &[u8], name: &str) -> String {
    let path = std::env::temp_dir().join(format!("mfa-qr-{}-{name}.png", std::process::id()));
    std::fs::write(&path, png).unwrap();
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&path)
        .output()
        .expect("run zbarimg");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "zbarimg could not read {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    text.strip_suffix('\n').unwrap_or(&text).to_owned()
}

#[test]
fn zbarimg_reads_back_exactly_the_uri() {
    if !zbarimg_available() {
        return;
    }
    for (i, key) in uris().iter().enumerate() {
        let uri = key.to_uri();
        for (level, px) in [
            (ErrorCorrection::Medium, 8),
            (ErrorCorrection::Low, 3),
            (ErrorCorrection::Quartile, 4),
            (ErrorCorrection::High, 6),
        ] {
            let qr = key.to_qr_with(level).unwrap();
            let png = qr.to_png(px).unwrap();
            assert_eq!(
                zbar(&png, &format!("{i}-{level:?}-{px}")),
                uri.as_str(),
                "{level:?}, {px} px"
            );
        }
    }
}

/// The pixels of a PNG this crate wrote: 1-bit grayscale, stored blocks.
fn decode_png(png: &[u8]) -> (usize, usize, Vec<Vec<bool>>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let mut chunks = Vec::new();
    let mut rest = &png[8..];
    while !rest.is_empty() {
        let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
        let kind = &rest[4..8];
        chunks.push((kind.to_vec(), rest[8..8 + len].to_vec()));
        rest = &rest[12 + len..];
    }
    let (kind, ihdr) = &chunks[0];
    assert_eq!(kind, b"IHDR");
    let width = u32::from_be_bytes(ihdr[..4].try_into().unwrap()) as usize;
    let height = u32::from_be_bytes(ihdr[4..8].try_into().unwrap()) as usize;
    assert_eq!(&ihdr[8..], &[1, 0, 0, 0, 0]);
    let zlib: Vec<u8> = chunks
        .iter()
        .filter(|(k, _)| k == b"IDAT")
        .flat_map(|(_, d)| d.clone())
        .collect();
    assert_eq!(chunks.last().unwrap().0, b"IEND");
    assert_eq!((zlib[0], zlib[1]), (0x78, 0x01));
    let mut raw = Vec::new();
    let mut at = 2;
    loop {
        let last = zlib[at] & 1 == 1;
        assert_eq!(zlib[at] >> 1, 0, "stored block");
        let len = u16::from_le_bytes([zlib[at + 1], zlib[at + 2]]) as usize;
        let nlen = u16::from_le_bytes([zlib[at + 3], zlib[at + 4]]);
        assert_eq!(!nlen as usize, len);
        raw.extend_from_slice(&zlib[at + 5..at + 5 + len]);
        at += 5 + len;
        if last {
            break;
        }
    }
    assert_eq!(at + 4, zlib.len(), "Adler-32 ends the stream");
    let row_len = width.div_ceil(8) + 1;
    assert_eq!(raw.len(), row_len * height);
    let pixels = raw
        .chunks(row_len)
        .map(|row| {
            assert_eq!(row[0], 0, "filter type 0");
            (0..width)
                .map(|x| row[1 + x / 8] & (0x80 >> (x % 8)) == 0)
                .collect()
        })
        .collect();
    (width, height, pixels)
}

#[test]
fn png_pixels_are_the_modules_with_a_quiet_zone() {
    for key in uris() {
        let qr = key.to_qr().unwrap();
        for px in [1u8, 3, 8, QrCode::MAX_MODULE_PX] {
            let png = qr.to_png(px).unwrap();
            assert_eq!(png.len(), png.capacity());
            let (width, height, dark) = decode_png(&png);
            let px = usize::from(px);
            let side = (qr.size() + 2 * QrCode::QUIET_ZONE) * px;
            assert_eq!((width, height), (side, side));
            for (y, row) in dark.iter().enumerate() {
                for (x, &pixel) in row.iter().enumerate() {
                    let (mx, my) = (x / px, y / px);
                    let expected = mx >= QrCode::QUIET_ZONE
                        && my >= QrCode::QUIET_ZONE
                        && qr.is_dark(mx - QrCode::QUIET_ZONE, my - QrCode::QUIET_ZONE);
                    assert_eq!(pixel, expected, "pixel {x},{y} at {px} px");
                }
            }
        }
    }
}

#[test]
fn svg_paints_the_modules_on_white() {
    for key in uris() {
        let qr = key.to_qr().unwrap();
        let svg = qr.to_svg();
        assert_eq!(svg.len(), svg.capacity());
        let n = qr.size() + 2 * QrCode::QUIET_ZONE;
        assert!(svg.starts_with(&format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{}" height="{}""#,
            n * 8,
            n * 8
        )));
        assert!(svg.contains(&format!(
            r##"<rect width="{n}" height="{n}" fill="#ffffff"/>"##
        )));
        assert!(svg.ends_with("\"/></svg>\n"));
        // Read the runs back: "M{x},{y}h{run}v1h-{run}z".
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let mut dark = vec![vec![false; n]; n];
        for run in d.split('z').filter(|r| !r.is_empty()) {
            let (start, rest) = run.strip_prefix('M').unwrap().split_once('h').unwrap();
            let (x, y) = start.split_once(',').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let len: usize = rest.split_once('v').unwrap().0.parse().unwrap();
            assert_eq!(rest, format!("{len}v1h-{len}"));
            for cell in &mut dark[y][x..x + len] {
                assert!(!*cell, "runs do not overlap");
                *cell = true;
            }
        }
        for (y, row) in dark.iter().enumerate() {
            for (x, &cell) in row.iter().enumerate() {
                let expected = x >= 4 && y >= 4 && qr.is_dark(x - 4, y - 4);
                assert_eq!(cell, expected, "module {x},{y}");
            }
        }
    }
}

#[test]
fn terminal_text_paints_both_colours_with_half_blocks() {
    for key in uris() {
        let qr = key.to_qr().unwrap();
        let text = qr.to_terminal();
        assert_eq!(text.len(), text.capacity());
        let n = qr.size() + 2 * QrCode::QUIET_ZONE;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), n.div_ceil(2));
        assert!(text.ends_with("\x1b[0m\n"));
        for (row, line) in lines.iter().enumerate() {
            // Black on white set at the start, reset before the newline.
            let cells = line
                .strip_prefix("\x1b[38;5;16;48;5;231m")
                .and_then(|l| l.strip_suffix("\x1b[0m"))
                .unwrap();
            assert_eq!(cells.chars().count(), n);
            for (x, c) in cells.chars().enumerate() {
                let at = |y: usize| y >= 4 && x >= 4 && y < n && qr.is_dark(x - 4, y - 4);
                let expected = match (at(2 * row), at(2 * row + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                };
                assert_eq!(c, expected, "cell {x} of line {row}");
            }
        }
        // The quiet zone: the first two lines and the last two are blank.
        for line in lines.iter().take(2).chain(lines.iter().rev().take(2)) {
            assert!(!line.contains(['█', '▀', '▄']));
        }
    }
}

#[test]
fn medium_error_correction_is_the_default_and_sizes_are_checked() {
    let key = &uris()[0];
    let medium = key.to_qr().unwrap();
    assert_eq!(
        medium.size(),
        key.to_qr_with(ErrorCorrection::Medium).unwrap().size()
    );
    assert!(key.to_qr_with(ErrorCorrection::Low).unwrap().size() <= medium.size());
    assert!(key.to_qr_with(ErrorCorrection::High).unwrap().size() >= medium.size());
    assert_eq!(medium.to_png(0), Err(QrError::ModuleSize { px: 0 }));
    assert_eq!(medium.to_png(33), Err(QrError::ModuleSize { px: 33 }));
    assert_eq!(
        format!("{medium:?}"),
        format!("QrCode {{ size: {}, .. }}", medium.size())
    );
    // Too long for any QR code.
    let huge = totp_uri(20, "Example", &"a".repeat(2_400), TotpConfig::default());
    assert!(matches!(huge.to_qr(), Err(QrError::TooLong { .. })));
    assert!(huge.to_qr_with(ErrorCorrection::Low).is_ok());
}
