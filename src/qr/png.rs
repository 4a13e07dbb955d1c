//! A minimal PNG writer for black-and-white images: 1-bit grayscale,
//! stored (uncompressed) deflate blocks, CRC-32 and Adler-32 computed
//! here (PNG spec §5, RFC 1950, RFC 1951 §3.2.4). No dependency, no
//! `std`; QR images are small, so compression would save little.
//!
//! Written here rather than taken from the `png` crate (0.18), which needs
//! `std` (it writes through `std::io::Write`, with no `no_std` feature) and
//! compresses through buffers of its own that are not zeroized, while the
//! image shows the secret. This writer makes one allocation of exactly the
//! image's size and zeroizes it on drop.

use alloc::vec::Vec;

use zeroize::Zeroizing;

/// The largest payload of one stored deflate block.
const STORED_MAX: usize = 65_535;

/// CRC-32 (ISO 3309, as PNG uses), bit by bit: no table to index.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for &b in parts.iter().copied().flatten() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

/// Adler-32 (RFC 1950 §8.2).
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5,552 bytes is the most that cannot overflow before reducing.
    for chunk in data.chunks(5_552) {
        for &byte in chunk {
            a = a.wrapping_add(u32::from(byte));
            b = b.wrapping_add(a);
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

fn push_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a chunk; `data` is at most a few megabytes (see the caller), so
/// its length fits the chunk's `u32`.
fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    push_u32(out, u32::try_from(data.len()).unwrap_or(u32::MAX));
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    push_u32(out, crc32(&[kind, data]));
}

/// Encodes `width` × `height` pixels, `dark(x, y)` telling which are black,
/// as a PNG in one allocation of exactly its size, zeroized on drop (the
/// image of a key URI shows the secret).
pub(crate) fn encode(
    width: u32,
    height: u32,
    dark: impl Fn(u32, u32) -> bool,
) -> Zeroizing<Vec<u8>> {
    // Each row: filter type 0, then 8 pixels a byte, most significant first.
    let row_len = usize::try_from(width.div_ceil(8))
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let raw_len = row_len.saturating_mul(usize::try_from(height).unwrap_or(usize::MAX));
    let mut raw = Zeroizing::new(Vec::with_capacity(raw_len));
    for y in 0..height {
        raw.push(0);
        let mut byte = 0u8;
        for x in 0..width {
            // Grayscale 1 is white.
            byte = (byte << 1) | u8::from(!dark(x, y));
            if x % 8 == 7 {
                raw.push(byte);
                byte = 0;
            }
        }
        if !width.is_multiple_of(8) {
            // Fill the last byte's unused low bits.
            raw.push(byte << 8u32.wrapping_sub(width % 8));
        }
    }

    // zlib: header, stored blocks of at most 65,535 bytes, Adler-32.
    let blocks = raw.len().div_ceil(STORED_MAX).max(1);
    let zlib_len = raw
        .len()
        .saturating_add(blocks.saturating_mul(5))
        .saturating_add(2 + 4);
    let mut zlib = Zeroizing::new(Vec::with_capacity(zlib_len));
    // CMF: deflate, 32 KiB window; FLG: no dictionary, fastest, and a
    // check value that makes CMF·256 + FLG a multiple of 31.
    zlib.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = raw.chunks(STORED_MAX).peekable();
    if chunks.peek().is_none() {
        zlib.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = chunks.next() {
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        zlib.push(u8::from(chunks.peek().is_none())); // BFINAL, BTYPE 00
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    push_u32(&mut zlib, adler32(&raw));

    let [w0, w1, w2, w3] = width.to_be_bytes();
    let [h0, h1, h2, h3] = height.to_be_bytes();
    // Bit depth 1, colour type 0 (grayscale), deflate, filter 0, no
    // interlace.
    let ihdr = [w0, w1, w2, w3, h0, h1, h2, h3, 1, 0, 0, 0, 0];

    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
    // The signature, then IHDR, IDAT and IEND with 12 bytes of framing each.
    const FIXED_LEN: usize = 8 + (12 + 13) + 12 + 12;
    let mut png = Zeroizing::new(Vec::with_capacity(FIXED_LEN.saturating_add(zlib.len())));
    png.extend_from_slice(&SIGNATURE);
    push_chunk(&mut png, b"IHDR", &ihdr);
    push_chunk(&mut png, b"IDAT", &zlib);
    push_chunk(&mut png, b"IEND", &[]);
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        // The CRC of "IEND" with no data, in every PNG.
        assert_eq!(crc32(&[b"IEND"]), 0xae42_6082);
        assert_eq!(crc32(&[b"123456789"]), 0xcbf4_3926);
        assert_eq!(crc32(&[b"1234", b"56789"]), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(adler32(&[]), 1);
        // Past one reduction block.
        let long = alloc::vec![0xffu8; 100_000];
        let (mut a, mut b) = (1u64, 0u64);
        for &x in &long {
            a = (a + u64::from(x)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(u64::from(adler32(&long)), (b << 16) | a);
    }

    #[test]
    fn layout_is_exact() {
        let png = encode(3, 2, |x, y| (x + y) % 2 == 0);
        assert_eq!(png.len(), png.capacity());
        assert_eq!(
            png.get(..8),
            Some(&[0x89, b'P', b'N', b'G', 13, 10, 26, 10][..])
        );
        assert_eq!(png.get(png.len() - 8..png.len() - 4), Some(&b"IEND"[..]));
        // Rows: filter 0, then the pixels 010 / 101 with 1 as white.
        let idat = png.windows(4).position(|w| w == b"IDAT").expect("IDAT");
        let zlib = &png[idat + 4..];
        assert_eq!(&zlib[..2], &[0x78, 0x01]);
        assert_eq!(&zlib[2..7], &[1, 4, 0, !4, !0]);
        assert_eq!(&zlib[7..11], &[0, 0b0100_0000, 0, 0b1010_0000]);
    }

    #[test]
    fn large_images_split_into_stored_blocks() {
        let (w, h) = (1_000, 1_000); // 126,000 raw bytes: two blocks
        let png = encode(w, h, |x, _| x % 3 == 0);
        assert_eq!(png.len(), png.capacity());
        let idat = png.windows(4).position(|w| w == b"IDAT").expect("IDAT");
        let zlib = &png[idat + 4..];
        assert_eq!(zlib[2], 0); // not final
        let second = 2 + 5 + STORED_MAX;
        assert_eq!(zlib[second], 1); // final
    }
}
