//! A stable hash for the names and tags redock gives things.
//!
//! Docker names, image tags, lock files and recipe versions must come out
//! the same on every run, build and machine, which std's hasher does not
//! promise. This is 64-bit FNV-1a, usable in `const` contexts.

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// An FNV-1a hash under construction.
///
/// ```
/// use docker_exec::StableHash;
///
/// assert_eq!(StableHash::of(b"a"), 0xaf63_dc4c_8601_ec8c);
/// let parts = StableHash::new().write(b"a").separator().write(b"b").finish();
/// assert_ne!(parts, StableHash::of(b"ab"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StableHash(u64);

impl StableHash {
    /// The hash of nothing yet.
    pub const fn new() -> StableHash {
        StableHash(OFFSET_BASIS)
    }

    /// The hash of `bytes` alone.
    pub const fn of(bytes: &[u8]) -> u64 {
        StableHash::new().write(bytes).finish()
    }

    /// Adds `bytes`.
    pub const fn write(self, bytes: &[u8]) -> StableHash {
        let mut hash = self.0;
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(PRIME);
            i += 1;
        }
        StableHash(hash)
    }

    /// Adds a byte no UTF-8 text holds (0xff), so that text moved from one
    /// part to the next changes the hash.
    pub const fn separator(self) -> StableHash {
        self.write(&[0xff])
    }

    /// The hash.
    pub const fn finish(self) -> u64 {
        self.0
    }

    /// The hash folded to 32 bits, for short names.
    pub const fn finish_u32(self) -> u32 {
        (self.0 ^ (self.0 >> 32)) as u32
    }
}

impl Default for StableHash {
    fn default() -> StableHash {
        StableHash::new()
    }
}

#[cfg(test)]
mod tests {
    use super::StableHash;

    #[test]
    fn matches_the_reference_values() {
        // FNV-1a's published 64-bit test vectors.
        assert_eq!(StableHash::of(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(StableHash::of(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(StableHash::of(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn writes_compose() {
        let whole = StableHash::of(b"foobar");
        let parts = StableHash::new().write(b"foo").write(b"bar").finish();
        assert_eq!(whole, parts);
    }
}
