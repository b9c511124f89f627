//! The mappings `map0` created and `unmap0` has not yet removed. Every export that takes a
//! raw address checks it here first, so a caller inside `dev.zerocopy` (the jar seals the
//! package; this is the second line) gets `IllegalArgumentException` for an address the
//! library does not own, instead of reading foreign memory or crashing the JVM. One map
//! lookup under an uncontended lock per call.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Start address -> length of each live mapping.
static LIVE: Mutex<BTreeMap<usize, usize>> = Mutex::new(BTreeMap::new());

fn live() -> std::sync::MutexGuard<'static, BTreeMap<usize, usize>> {
    // A panic while holding the lock cannot leave the map half-updated (single inserts and
    // removes), so a poisoned lock is still a consistent map.
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn refused(address: i64, length: usize) -> Error {
    Error::InvalidArgument(format!(
        "address {address:#x} + {length} is not inside a mapping of this library"
    ))
}

/// Records a mapping `map0` just created.
pub(super) fn add(address: usize, length: usize) {
    live().insert(address, length);
}

/// Checks that `address..address+length` lies inside one live mapping.
pub(super) fn check(address: i64, length: usize) -> Result<usize> {
    let start = usize::try_from(address).map_err(|_| refused(address, length))?;
    let end = start
        .checked_add(length)
        .ok_or_else(|| refused(address, length))?;
    match live().range(..=start).next_back() {
        Some((&base, &len)) if end <= base + len => Ok(start),
        _ => Err(refused(address, length)),
    }
}

/// Checks that `address, length` is exactly a live mapping.
pub(super) fn check_whole(address: i64, length: usize) -> Result<usize> {
    let start = usize::try_from(address).map_err(|_| refused(address, length))?;
    match live().get(&start) {
        Some(&len) if len == length => Ok(start),
        _ => Err(refused(address, length)),
    }
}

/// Forgets a whole mapping before it is unmapped; fails if it is not one.
pub(super) fn remove(address: i64, length: usize) -> Result<usize> {
    let start = check_whole(address, length)?;
    live().remove(&start);
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ranges_inside_a_live_mapping_pass() {
        let base = 0x7000_0000_0000usize;
        add(base, 8192);
        let at = base as i64;
        assert!(matches!(check(at, 8192), Ok(a) if a == base));
        assert!(matches!(check(at + 4096, 4096), Ok(a) if a == base + 4096));
        assert!(matches!(check(at + 8192, 0), Ok(a) if a == base + 8192));
        assert!(check(at + 4096, 4097).is_err());
        assert!(check(at - 1, 1).is_err());
        assert!(check(-1, 1).is_err());
        assert!(check(i64::MAX, usize::MAX).is_err());
        assert!(check_whole(at, 4096).is_err());
        assert!(remove(at + 1, 8192).is_err());
        assert!(matches!(remove(at, 8192), Ok(a) if a == base));
        assert!(check(at, 1).is_err(), "gone once removed");
    }
}
