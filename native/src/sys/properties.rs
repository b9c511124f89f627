//! Property tests of the argument checks and clamps of `sys` (issue 8): arbitrary offsets,
//! counts, flags, codes and sizes thrown at every function that validates or clamps its
//! input, on real files, pipes and sockets. Each property says exactly what may come back:
//! how many bytes, which bytes, or which error, never just "no panic".
//!
//! A module of the crate rather than `tests/*.rs`: `room_after` and `testutil` are
//! crate-private.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;

use nix::errno::Errno;
use nix::fcntl::SpliceFFlags;
use proptest::prelude::*;
use proptest::sample::select;

use super::{MAX_CHUNK, copy_range, mmap, pipe, poll, room_after, sendfile, splice, testutil};
use crate::error::{Error, Result};

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

    /// splice file -> pipe at any offset and count: exactly min(count, what is left) bytes,
    /// the file's own bytes from that offset, the offset advanced by as much; 0 at or past
    /// end of file (even a hair below i64::MAX); EINVAL only for a negative offset.
    #[test]
    fn splice_from_a_file_moves_what_is_asked_and_left(
        (data, off, count) in data(20_000).prop_flat_map(|d| {
            let len = d.len();
            (Just(d), offset(len), count(len))
        }),
        bits in any::<i32>(),
    ) {
        let file = testutil::temp_file_with(&data);
        let (r, w) = testutil::pipe();
        let size = data.len() as i64;
        let mut at = off;
        let result = splice::splice(
            file.as_fd(), Some(&mut at), w.as_fd(), None, count, splice::flags_from_bits(bits),
        );
        let expected = expected_read(off, count, size);
        prop_assert_eq!(outcome(&result), expected);
        let n = result.unwrap_or(0);
        prop_assert_eq!(at, off + n as i64);
        let got = drain(r.as_fd());
        let from = off.clamp(0, size) as usize;
        prop_assert!(got == data[from..from + n], "pipe holds the file's bytes at the offset");
    }

    /// splice pipe -> file at any offset and count: the pipe's first bytes land at that
    /// offset, nothing else in the file changes, the rest stays queued. A negative offset
    /// or one whose range passes i64::MAX is EINVAL; only past the largest file EFBIG.
    #[test]
    fn splice_into_a_file_writes_the_pipes_bytes_at_the_offset(
        ((old, queued), off, count) in (data(10_000), data(12_000)).prop_flat_map(|(o, q)| {
            let (olen, qlen) = (o.len(), q.len());
            (Just((o, q)), offset(olen), count(qlen))
        }),
        bits in any::<i32>(),
    ) {
        let file = testutil::temp_file_with(&old);
        let (r, w) = testutil::pipe();
        if !queued.is_empty() {
            prop_assert_eq!(nix::unistd::write(&w, &queued).unwrap(), queued.len());
        }
        drop(w); // an empty pipe is end of stream, not a wait
        let mut at = off;
        let result = splice::splice(
            r.as_fd(), None, file.as_fd(), Some(&mut at), count, splice::flags_from_bits(bits),
        );
        let asked = count.min(MAX_CHUNK);
        let exact = if count == 0 {
            Some(Outcome::Moved(0))
        } else if off < 0 || off.checked_add(asked as i64).is_none() {
            Some(Outcome::Os(Errno::EINVAL))
        } else if queued.is_empty() {
            Some(Outcome::Moved(0))
        } else if off < FAR {
            Some(Outcome::Moved(asked.min(queued.len())))
        } else {
            None
        };
        match exact {
            Some(expected) => prop_assert_eq!(outcome(&result), expected),
            None => prop_assert!(
                matches!(outcome(&result), Outcome::Moved(n) if n <= asked.min(queued.len()))
                    || outcome(&result) == Outcome::Os(Errno::EFBIG),
                "far offset {off}: {result:?}"
            ),
        }
        let n = result.unwrap_or(0);
        prop_assert_eq!(at, off + n as i64);
        assert_file_is(&file, &old, off, &queued[..n])?;
        prop_assert!(drain(r.as_fd()) == queued[n..], "the rest stays in the pipe");
    }

    /// sendfile file -> socket: exactly min(count, what is left) of the file's bytes from
    /// the offset; 0 at end of file; EINVAL for a negative offset; EOVERFLOW only past the
    /// largest file (the unit tests pin which).
    #[test]
    fn sendfile_sends_what_is_asked_and_left(
        (data, off, count) in data(16_000).prop_flat_map(|d| {
            let len = d.len();
            (Just(d), offset(len), count(len))
        }),
    ) {
        let file = testutil::temp_file_with(&data);
        let (a, mut b) = testutil::tcp_pair();
        a.set_nonblocking(true).unwrap();
        let size = data.len() as i64;
        let mut at = off;
        let result = sendfile::sendfile(a.as_fd(), file.as_fd(), &mut at, count);
        let expected = expected_read(off, count, size);
        if off >= FAR && count != 0 {
            prop_assert!(
                outcome(&result) == expected || outcome(&result) == Outcome::Os(Errno::EOVERFLOW),
                "far offset {off}: {result:?}"
            );
        } else {
            prop_assert_eq!(outcome(&result), expected);
        }
        let n = result.unwrap_or(0);
        prop_assert_eq!(at, off + n as i64);
        let from = off.clamp(0, size) as usize;
        prop_assert!(testutil::read_exact(&b, n) == data[from..from + n]);
        b.set_nonblocking(true).unwrap();
        prop_assert!(matches!(b.read(&mut [0u8; 1]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock));
    }

    /// copy_file_range file -> file at any offsets: exactly min(count, what is left) bytes
    /// land at the output offset, nothing else changes; 0 when count is 0 or the input
    /// offset is at or past end of file (even a hair below i64::MAX); a negative offset is
    /// EINVAL or EOVERFLOW; only an output offset past the largest file is EFBIG
    /// (EOVERFLOW if its range wraps).
    #[test]
    fn copy_file_range_copies_what_is_asked_and_left(
        ((input, old), off_in, off_out, count) in (data(16_000), data(8_000))
            .prop_flat_map(|(i, o)| {
                let (ilen, olen) = (i.len(), o.len());
                (Just((i, o)), offset(ilen), offset(olen), count(ilen))
            }),
    ) {
        let from = testutil::temp_file_with(&input);
        let to = testutil::temp_file_with(&old);
        let size = input.len() as i64;
        let (mut at_in, mut at_out) = (off_in, off_out);
        let result = copy_range::copy_file_range(
            from.as_fd(), Some(&mut at_in), to.as_fd(), Some(&mut at_out), count,
        );
        let left = if (0..size).contains(&off_in) { (size - off_in) as usize } else { 0 };
        let asked = count.min(MAX_CHUNK).min(left);
        let got = outcome(&result);
        if count == 0 {
            prop_assert_eq!(got, Outcome::Moved(0));
        } else if off_in < 0 || off_out < 0 {
            prop_assert!(
                matches!(got, Outcome::Os(Errno::EINVAL | Errno::EOVERFLOW))
                    || (off_out >= FAR && got == Outcome::Os(Errno::EFBIG)),
                "negative offset: {result:?}"
            );
        } else if off_out < FAR {
            prop_assert_eq!(got, Outcome::Moved(asked));
        } else {
            prop_assert!(
                matches!(got, Outcome::Moved(n) if n <= asked)
                    || got == Outcome::Os(Errno::EFBIG)
                    || (got == Outcome::Os(Errno::EOVERFLOW)
                        && off_out.checked_add(count.min(MAX_CHUNK) as i64).is_none()),
                "far output offset {off_out}: {result:?}"
            );
        }
        let n = result.unwrap_or(0);
        prop_assert_eq!((at_in, at_out), (off_in + n as i64, off_out + n as i64));
        let start = off_in.clamp(0, size) as usize;
        assert_file_is(&to, &old, off_out, &input[start..start + n])?;
        prop_assert!(read_at(&from, 0, input.len()) == input[..], "input unchanged");
    }

    /// tee: duplicates exactly min(count, queued) bytes, consuming none; an empty pipe is
    /// 0 once its writer is gone and EAGAIN (non-blocking) while it has one. Unknown flag
    /// bits are ignored.
    #[test]
    fn tee_duplicates_a_prefix_and_consumes_nothing(
        (queued, count) in data(20_000).prop_flat_map(|q| {
            let len = q.len();
            (Just(q), count(len))
        }),
        writer_gone in any::<bool>(),
        bits in any::<i32>(),
    ) {
        let (r, w) = testutil::pipe();
        let (copy_r, copy_w) = testutil::pipe();
        if !queued.is_empty() {
            prop_assert_eq!(nix::unistd::write(&w, &queued).unwrap(), queued.len());
        }
        let mut flags = splice::flags_from_bits(bits);
        if queued.is_empty() && !writer_gone {
            flags |= SpliceFFlags::SPLICE_F_NONBLOCK; // else it would wait for a writer
        }
        let w = (!writer_gone).then_some(w);
        let result = splice::tee(r.as_fd(), copy_w.as_fd(), count, flags);
        let expected = if count == 0 || (queued.is_empty() && writer_gone) {
            Outcome::Moved(0)
        } else if queued.is_empty() {
            Outcome::Os(Errno::EAGAIN)
        } else {
            Outcome::Moved(count.min(queued.len()))
        };
        prop_assert_eq!(outcome(&result), expected);
        let n = result.unwrap_or(0);
        prop_assert!(drain(copy_r.as_fd()) == queued[..n], "the copy is a prefix");
        prop_assert!(drain(r.as_fd()) == queued[..], "the input still holds everything");
        drop(w);
    }

    /// vmsplice_copy: takes a prefix of the slices' bytes, in order: everything up to the
    /// pipe's capacity when the pipe is empty, however many slices there are.
    #[test]
    fn vmsplice_takes_a_prefix_of_the_slices(
        lens in prop::collection::vec(
            prop_oneof![3 => Just(0usize), 5 => 0usize..600, 1 => 0usize..9000],
            0..1100,
        ),
        seed in any::<u64>(),
        bits in any::<i32>(),
    ) {
        let total: usize = lens.iter().sum();
        let buffer = bytes(total, seed);
        let mut slices = Vec::with_capacity(lens.len());
        let mut at = 0;
        for &len in &lens {
            slices.push(&buffer[at..at + len]);
            at += len;
        }
        let (r, w) = testutil::pipe();
        let capacity = pipe::capacity(w.as_fd()).unwrap();
        let flags = splice::flags_from_bits(bits) | SpliceFFlags::SPLICE_F_NONBLOCK;
        let n = match splice::vmsplice_copy(w.as_fd(), &slices, flags) {
            Ok(n) => n,
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        prop_assert_eq!(n, total.min(capacity));
        prop_assert!(drain(r.as_fd()) == buffer[..n], "the pipe holds the prefix");
    }

    /// set_capacity: Ok only with exactly the kernel's rounding (a power-of-two number of
    /// pages, at least one), which capacity() then reports, the queued bytes intact; EBUSY
    /// exactly when the queued bytes need more pages; InvalidArgument above i32::MAX.
    #[test]
    fn set_capacity_rounds_up_or_says_why_not(
        requested in prop_oneof![
            4 => 0usize..=(1 << 20),
            1 => (1usize << 20)..=(16 << 20),
            1 => (i32::MAX as usize + 1)..=usize::MAX,
            1 => select(vec![0, 1, 4095, 4096, 4097, 65535, 65536, 65537, 3 << 20,
                i32::MAX as usize + 1, u32::MAX as usize, u32::MAX as usize + 1, usize::MAX]),
        ],
        queued in data(PIPE),
    ) {
        let page = mmap::page_size();
        let (r, w) = testutil::pipe();
        if !queued.is_empty() {
            prop_assert_eq!(nix::unistd::write(&w, &queued).unwrap(), queued.len());
        }
        let result = pipe::set_capacity(w.as_fd(), requested);
        let rounded = requested.clamp(page, 1 << 31).next_power_of_two();
        let busy = queued.len().div_ceil(page) > rounded / page;
        let (may_exceed_max, unlimited) = pipe_privileges();
        let got = outcome(&result);
        if requested > i32::MAX as usize {
            prop_assert_eq!(got, Outcome::Invalid);
        } else if rounded > PIPE && !may_exceed_max && rounded > pipe_max_size() {
            prop_assert_eq!(got, Outcome::Os(Errno::EPERM));
        } else if rounded > PIPE && !unlimited && got == Outcome::Os(Errno::EPERM) {
            // the user's pipes hold more than pipe-user-pages-soft: growing is refused
        } else if busy {
            prop_assert_eq!(got, Outcome::Os(Errno::EBUSY));
        } else {
            prop_assert_eq!(got, Outcome::Moved(rounded));
        }
        let now = pipe::capacity(r.as_fd()).unwrap();
        prop_assert_eq!(now, result.unwrap_or(PIPE));
        prop_assert!(drain(r.as_fd()) == queued[..], "queued bytes survive");
    }

    /// poll::wait with any interest bits and short timeouts: exactly the ready bits asked
    /// for (only READABLE and WRITABLE count), plus FAILED on hang-up or error whatever was
    /// asked; 0 when nothing asked for is ready.
    #[test]
    fn wait_reports_exactly_the_ready_bits(
        interest in any::<i32>(),
        timeout_ms in 0u16..=5,
        case in 0u8..7,
    ) {
        let (r, w) = testutil::pipe();
        let want_read = interest & poll::READABLE != 0;
        let want_write = interest & poll::WRITABLE != 0;
        let readable = if want_read { poll::READABLE } else { 0 };
        let writable = if want_write { poll::WRITABLE } else { 0 };
        let (bits, expected) = match case {
            0 => (poll::wait(r.as_fd(), interest, timeout_ms), 0),
            1 => {
                nix::unistd::write(&w, b"x").unwrap();
                (poll::wait(r.as_fd(), interest, timeout_ms), readable)
            }
            2 => {
                drop(w);
                (poll::wait(r.as_fd(), interest, timeout_ms), poll::FAILED)
            }
            3 => {
                nix::unistd::write(&w, b"x").unwrap();
                drop(w);
                (poll::wait(r.as_fd(), interest, timeout_ms), readable | poll::FAILED)
            }
            4 => (poll::wait(w.as_fd(), interest, timeout_ms), writable),
            5 => {
                drop(r);
                (poll::wait(w.as_fd(), interest, timeout_ms), writable | poll::FAILED)
            }
            _ => {
                while nix::unistd::write(&w, &[0u8; 4096]).is_ok() {}
                (poll::wait(w.as_fd(), interest, timeout_ms), 0)
            }
        };
        prop_assert_eq!(bits.unwrap(), expected, "case {}", case);
    }

    /// The Java side's codes: Ok exactly for the documented ones, InvalidArgument otherwise;
    /// unknown splice flag bits are dropped, known ones kept.
    #[test]
    fn codes_are_accepted_exactly_as_documented(code in prop_oneof![-2i32..8, any::<i32>()]) {
        prop_assert_eq!(mmap::Mode::from_code(code).is_ok(), (0..=2).contains(&code));
        prop_assert!(matches!(mmap::Mode::from_code(code), Ok(_) | Err(Error::InvalidArgument(_))));
        prop_assert_eq!(mmap::advice_from_code(code).is_ok(), (0..=5).contains(&code));
        prop_assert!(matches!(mmap::advice_from_code(code), Ok(_) | Err(Error::InvalidArgument(_))));
        let known = (SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_NONBLOCK
            | SpliceFFlags::SPLICE_F_MORE | SpliceFFlags::SPLICE_F_GIFT).bits();
        prop_assert_eq!(splice::flags_from_bits(code).bits(), code as u32 & known);
    }

    /// map at any offset, length and mode: a mapping whose bytes are the file's (zeros in
    /// the last page past its end), or InvalidArgument (offset past i64::MAX, length 0),
    /// EINVAL (unaligned offset), EACCES (READ_WRITE on a read-only descriptor), and only
    /// for ranges larger than memory ENOMEM or EOVERFLOW.
    #[test]
    fn map_shows_the_files_bytes_or_says_why_not(
        data in data(3 * 4096 + 100),
        offset in prop_oneof![
            4 => (0u64..5).prop_map(|p| p * 4096),
            2 => 0u64..5 * 4096,
            1 => any::<u64>(),
            1 => select(vec![i64::MAX as u64 & !4095, i64::MAX as u64 + 1, !4095]),
        ],
        len in prop_oneof![
            4 => 0usize..=5 * 4096,
            1 => any::<usize>(),
            1 => select(vec![1usize << 30, 1 << 40, 1 << 47, isize::MAX as usize, usize::MAX]),
        ],
        code in -1i32..4,
        populate in any::<bool>(),
        read_only in any::<bool>(),
    ) {
        let page = mmap::page_size() as u64;
        let Ok(mode) = mmap::Mode::from_code(code) else {
            prop_assert!(!(0..=2).contains(&code));
            return Ok(());
        };
        let writable = testutil::temp_file_with(&data);
        let file = if read_only {
            File::open(format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&writable)))
                .unwrap()
        } else {
            writable
        };
        let result = mmap::map(file.as_fd(), offset, len, mode, populate);
        let got = outcome(&result);
        // Past 1 GiB a range may be more than memory (ENOMEM) or than a file (EOVERFLOW).
        let huge = offset as u128 + len as u128 > 1 << 30;
        if offset > i64::MAX as u64 || len == 0 {
            prop_assert_eq!(got, Outcome::Invalid);
        } else if offset % page != 0 {
            prop_assert_eq!(got, Outcome::Os(Errno::EINVAL));
        } else if huge {
            // A range larger than memory may be refused before or after the access check.
            let denied = read_only && mode == mmap::Mode::ReadWrite;
            prop_assert!(
                match got {
                    Outcome::Os(Errno::ENOMEM | Errno::EOVERFLOW) => true,
                    Outcome::Os(Errno::EACCES) => denied,
                    Outcome::Moved(_) => !denied,
                    _ => false,
                },
                "{result:?}"
            );
        } else if read_only && mode == mmap::Mode::ReadWrite {
            prop_assert_eq!(got, Outcome::Os(Errno::EACCES));
        } else {
            prop_assert!(matches!(got, Outcome::Moved(_)), "{result:?}");
        }
        if let Ok(addr) = result {
            prop_assert_eq!(addr as u64 % page, 0);
            let size = data.len() as u64;
            if offset < size {
                // Only pages the file covers are touched: past them user code gets SIGBUS.
                let in_file = (size - offset).min(len as u64) as usize;
                let in_page = ((size - offset).div_ceil(page) * page).min(len as u64) as usize;
                // SAFETY: the range lies in the mapping just created, within the file's pages.
                let seen = unsafe { std::slice::from_raw_parts(addr as *const u8, in_page) };
                prop_assert!(seen[..in_file] == data[offset as usize..offset as usize + in_file]);
                prop_assert!(seen[in_file..].iter().all(|&b| b == 0), "zeros past the end");
            }
            // SAFETY: the mapping was created above and nothing refers to it any more.
            unsafe { mmap::unmap(addr, len) }.unwrap();
        }
    }

    /// extend: the file grows to exactly the length asked and never shrinks, its bytes
    /// kept and the new ones zero; a length past i64::MAX is InvalidArgument, and only one
    /// past the largest file EFBIG.
    #[test]
    fn extend_grows_to_the_length_and_never_shrinks(
        data in data(10_000),
        len in prop_oneof![
            4 => 0u64..=20_000,
            1 => any::<u64>(),
            1 => select(vec![FAR as u64, 1 << 44, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX]),
        ],
    ) {
        let file = testutil::temp_file_with(&data);
        let size = data.len() as u64;
        let result = mmap::extend(file.as_fd(), len).map(|()| 0usize);
        let got = outcome(&result);
        if len <= size {
            prop_assert_eq!(got, Outcome::Moved(0));
        } else if len > i64::MAX as u64 {
            prop_assert_eq!(got, Outcome::Invalid);
        } else if len >= FAR as u64 {
            prop_assert!(matches!(got, Outcome::Moved(0) | Outcome::Os(Errno::EFBIG)), "{result:?}");
        } else {
            prop_assert_eq!(got, Outcome::Moved(0));
        }
        let now = size_of(&file);
        prop_assert_eq!(now, if result.is_ok() { size.max(len) } else { size });
        prop_assert!(read_at(&file, 0, data.len()) == data[..], "old bytes kept");
        let tail = (now - size).min(4096) as usize;
        prop_assert!(read_at(&file, now - tail as u64, tail).iter().all(|&b| b == 0), "new bytes are zero");
    }
}

/// The properties' own helpers are right about the cases they model.
#[test]
fn overlay_fills_a_gap_with_zeros() {
    assert_eq!(overlay(b"ab", 4, b"cd"), b"ab\0\0cd");
    assert_eq!(overlay(b"abcd", 1, b"x"), b"axcd");
    assert_eq!(overlay(b"ab", 9, b""), b"ab");
}
