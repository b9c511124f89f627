//! Property tests of the argument checks and clamps of `sys`: arbitrary offsets,
//! counts, flags, codes and sizes thrown at every function that validates or clamps its
//! input, on real files, pipes and sockets. Each property says exactly what may come back:
//! how many bytes, which bytes, or which error, never just "no panic".
//!
//! A module of the crate rather than `tests/*.rs`: `room_after` and `testutil` are
//! crate-private. One file per `sys` file, like the code they test; this one holds the
//! shared strategies and helpers, and the properties of `sys` itself (`room_after`).

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;

use nix::errno::Errno;
use nix::fcntl::SpliceFFlags;
use proptest::prelude::*;
use proptest::sample::select;

use super::{MAX_CHUNK, room_after, testutil};
use crate::error::{Error, Result};

mod copy_range;
mod mmap;
mod pipe;
mod poll;
mod sendfile;
mod splice;

/// Cases per property: the whole module runs in a few seconds in a debug build.
const CASES: u32 = 256;

/// No file system's largest file is smaller (ext4: 16 TiB; tmpfs, xfs, btrfs: about
/// i64::MAX). Beyond it a write may be EFBIG and sendfile EOVERFLOW; below it, never.
const FAR: i64 = 1 << 40;

/// The default pipe capacity (16 pages of 4 KiB): the properties' transfers fit in it.
const PIPE: usize = 65536;

/// What a transfer returned, in a form properties can compare exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Moved(usize),
    Os(Errno),
    Invalid,
}

fn outcome(result: &Result<usize>) -> Outcome {
    match result {
        Ok(n) => Outcome::Moved(*n),
        Err(Error::Os { errno, .. }) => Outcome::Os(*errno),
        Err(Error::InvalidArgument(_)) => Outcome::Invalid,
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// What reading `count` bytes of a `size`-byte file at `off` must give (splice, sendfile):
/// 0 for nothing asked or at/after the end, EINVAL for a negative offset, else what is left.
fn expected_read(off: i64, count: usize, size: i64) -> Outcome {
    if count == 0 {
        Outcome::Moved(0)
    } else if off < 0 {
        Outcome::Os(Errno::EINVAL)
    } else if off >= size {
        Outcome::Moved(0)
    } else {
        Outcome::Moved(count.min((size - off) as usize))
    }
}

/// Deterministic bytes with no short period, so a transfer from the wrong offset shows.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Generated file or pipe contents; shown in failures by length and seed, not byte by byte.
#[derive(Clone)]
struct Data {
    bytes: Vec<u8>,
    seed: u64,
}

impl std::ops::Deref for Data {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "bytes({}, {:#x})", self.bytes.len(), self.seed)
    }
}

fn data(max: usize) -> impl Strategy<Value = Data> {
    (0..=max, any::<u64>()).prop_map(|(len, seed)| Data {
        bytes: bytes(len, seed),
        seed,
    })
}

/// Offsets around a file of `size` bytes, anywhere in i64, and near i64::MAX.
fn offset(size: usize) -> impl Strategy<Value = i64> {
    let size = size as i64;
    prop_oneof![
        4 => -2..size + 2,
        1 => any::<i64>(),
        1 => (0..=2 * MAX_CHUNK as i64).prop_map(|d| i64::MAX - d),
        1 => select(vec![
            i64::MIN,
            -1,
            0,
            FAR - 1,
            MAX_CHUNK as i64,
            i64::MAX - MAX_CHUNK as i64,
            i64::MAX - 1,
            i64::MAX,
        ]),
    ]
}

/// Counts around `size`, anywhere in usize, and at the MAX_CHUNK and i64::MAX edges.
fn count(size: usize) -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 0..size + 2,
        1 => any::<usize>(),
        1 => select(vec![
            0,
            1,
            MAX_CHUNK - 1,
            MAX_CHUNK,
            MAX_CHUNK + 1,
            i64::MAX as usize,
            i64::MAX as usize + 1,
            usize::MAX,
        ]),
    ]
}

/// (CAP_SYS_RESOURCE: may exceed pipe-max-size; it or CAP_SYS_ADMIN: no per-user limit).
/// Root in a container may lack both.
fn pipe_privileges() -> (bool, bool) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let caps = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0);
    let (resource, admin) = (caps & 1 << 24 != 0, caps & 1 << 21 != 0);
    (resource, resource || admin)
}

fn pipe_max_size() -> usize {
    std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .expect("/proc/sys/fs/pipe-max-size")
        .trim()
        .parse()
        .expect("pipe-max-size")
}

/// Everything a non-blocking pipe end holds now.
fn drain(fd: BorrowedFd<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; PIPE];
    loop {
        match nix::unistd::read(fd, &mut buf) {
            Ok(0) | Err(Errno::EAGAIN) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => panic!("read: {e}"),
        }
    }
}

fn read_at(file: &File, offset: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, offset).expect("pread");
    buf
}

fn size_of(file: &File) -> u64 {
    file.metadata().expect("fstat").len()
}

/// `data` after `written` landed at `offset` (zeros fill a gap past the old end).
fn overlay(data: &[u8], offset: usize, written: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    if written.is_empty() {
        return out;
    }
    if out.len() < offset + written.len() {
        out.resize(offset + written.len(), 0);
    }
    out[offset..offset + written.len()].copy_from_slice(written);
    out
}

/// Checks a file written at `offset` (possibly far past its old end) against the model,
/// reading only the old contents and the written range, never the sparse gap between.
fn assert_file_is(
    file: &File,
    old: &[u8],
    offset: i64,
    written: &[u8],
) -> std::result::Result<(), TestCaseError> {
    let end = if written.is_empty() {
        old.len() as u64
    } else {
        (old.len() as u64).max(offset as u64 + written.len() as u64)
    };
    prop_assert_eq!(size_of(file), end, "file size");
    if (offset as u64) < old.len() as u64 + 1 {
        let model = overlay(old, offset as usize, written);
        prop_assert!(read_at(file, 0, model.len()) == model, "file contents");
    } else {
        prop_assert!(read_at(file, 0, old.len()) == old, "old contents");
        prop_assert!(
            read_at(file, offset as u64, written.len()) == written,
            "bytes at the offset"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// room_after: what fits below i64::MAX, never overflowing, non-increasing, and the
    /// plain formula wherever that does not overflow; a negative offset counts as 0.
    #[test]
    fn room_after_is_the_room_below_i64_max(a in offset(0), b in any::<i64>()) {
        let room = room_after(a);
        if a >= 0 {
            prop_assert_eq!(room, (i64::MAX - a) as usize);
            prop_assert_eq!(a.checked_add(room as i64), Some(i64::MAX));
        } else {
            prop_assert_eq!(room, room_after(0));
        }
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(room_after(lo) >= room_after(hi));
    }
}

/// The properties' own helpers are right about the cases they model.
#[test]
fn overlay_fills_a_gap_with_zeros() {
    assert_eq!(overlay(b"ab", 4, b"cd"), b"ab\0\0cd");
    assert_eq!(overlay(b"abcd", 1, b"x"), b"axcd");
    assert_eq!(overlay(b"ab", 9, b""), b"ab");
}
