//! mmap(2) and friends: file mappings, the anonymous placeholder that replaces one at
//! close, madvise, msync, mlock, and writes from mapped memory.
//!
//! Functions that take an address are `unsafe`: the caller promises that the range is a
//! mapping it owns (created by [`map`]) and that nothing else relies on its contents in a
//! way the call would break. Pages of a file mapping that lie past the end of the file
//! raise SIGBUS when *user* code touches them; the kernel-side accesses here (write(2),
//! send(2), MADV_POPULATE_READ) report EFAULT instead, which is why [`populate`] and
//! [`write_from`] are the safe way to touch a mapping whose file may have shrunk.

use std::ffi::c_void;
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::ptr::NonNull;

use nix::errno::Errno;
use nix::sys::mman::{self, MapFlags, MmapAdvise, MsFlags, ProtFlags};
use nix::sys::socket::{MsgFlags, send};

use super::{one, retry};
use crate::error::{Error, Fds, Result};

/// How a file is mapped: `FileChannel.MapMode` READ_ONLY, READ_WRITE, PRIVATE.
/// The discriminants are the codes Java passes (`Native.MAP_*`, read from the JNI constant
/// table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Mode {
    ReadOnly = 0,
    ReadWrite = 1,
    Private = 2,
}

impl Mode {
    pub fn from_code(code: i32) -> Result<Mode> {
        [Mode::ReadOnly, Mode::ReadWrite, Mode::Private]
            .into_iter()
            .find(|mode| *mode as i32 == code)
            .ok_or_else(|| Error::InvalidArgument(format!("unknown map mode {code}")))
    }

    fn prot(self) -> ProtFlags {
        match self {
            Mode::ReadOnly => ProtFlags::PROT_READ,
            Mode::ReadWrite | Mode::Private => ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
        }
    }
}

/// madvise(2) advice, numbered as the Java `Advice` enum's ordinals.
pub fn advice_from_code(code: i32) -> Result<MmapAdvise> {
    Ok(match code {
        0 => MmapAdvise::MADV_NORMAL,
        1 => MmapAdvise::MADV_SEQUENTIAL,
        2 => MmapAdvise::MADV_RANDOM,
        3 => MmapAdvise::MADV_WILLNEED,
        4 => MmapAdvise::MADV_DONTNEED,
        5 => MmapAdvise::MADV_HUGEPAGE,
        other => return Err(Error::InvalidArgument(format!("unknown advice {other}"))),
    })
}

/// The page size: mappings start at multiples of it.
pub fn page_size() -> usize {
    // SAFETY: sysconf reads a constant of the running system; it has no preconditions.
    let size = unsafe { nix::libc::sysconf(nix::libc::_SC_PAGESIZE) };
    // It cannot fail on Linux; 4096 is the answer for the impossible.
    usize::try_from(size).unwrap_or(4096)
}

fn non_zero(len: usize) -> Result<NonZeroUsize> {
    NonZeroUsize::new(len).ok_or_else(|| Error::InvalidArgument("mapping length is 0".into()))
}

fn address(addr: usize) -> Result<NonNull<c_void>> {
    NonNull::new(addr as *mut c_void).ok_or_else(|| Error::InvalidArgument("address is 0".into()))
}

/// Maps `len` bytes of `file` from `offset` (a multiple of the page size). `populate`
/// pre-faults the pages (MAP_POPULATE). Returns the address.
pub fn map(
    file: BorrowedFd<'_>,
    offset: u64,
    len: usize,
    mode: Mode,
    populate: bool,
) -> Result<usize> {
    let offset = i64::try_from(offset)
        .map_err(|_| Error::InvalidArgument(format!("offset {offset} is too large")))?;
    let mut flags = match mode {
        Mode::Private => MapFlags::MAP_PRIVATE,
        _ => MapFlags::MAP_SHARED,
    };
    if populate {
        flags |= MapFlags::MAP_POPULATE;
    }
    let len = non_zero(len)?;
    // SAFETY: no address hint and no MAP_FIXED, so the kernel picks a free range and no
    // existing memory is affected.
    let ptr = retry("mmap", one(file), || unsafe {
        mman::mmap(None, len, mode.prot(), flags, file, offset)
    })?;
    Ok(ptr.as_ptr() as usize)
}

/// Removes a mapping.
///
/// # Safety
/// `addr..addr+len` is a mapping the caller owns and nothing uses any more.
pub unsafe fn unmap(addr: usize, len: usize) -> Result<()> {
    let ptr = address(addr)?;
    // SAFETY: the caller owns the range and promises it is unused.
    retry("munmap", Fds::None, || unsafe { mman::munmap(ptr, len) })
}

/// Replaces a mapping, atomically, with anonymous zero pages at the same address
/// (MAP_FIXED over it): the file is released at once, yet the range stays mapped, so a
/// stale pointer into it reads zeros (and may write, if `writable`) instead of faulting.
/// MAP_NORESERVE: the placeholder costs no memory until someone writes to it.
///
/// # Safety
/// `addr..addr+len` is a mapping the caller owns; its contents are given up.
pub unsafe fn replace_with_placeholder(addr: usize, len: usize, writable: bool) -> Result<()> {
    let hint =
        NonZeroUsize::new(addr).ok_or_else(|| Error::InvalidArgument("address is 0".into()))?;
    let prot = if writable {
        ProtFlags::PROT_READ | ProtFlags::PROT_WRITE
    } else {
        ProtFlags::PROT_READ
    };
    let flags = MapFlags::MAP_FIXED | MapFlags::MAP_PRIVATE | MapFlags::MAP_NORESERVE;
    let len = non_zero(len)?;
    // SAFETY: MAP_FIXED replaces only the caller's own range, which it gives up.
    let ptr = retry("mmap", Fds::None, || unsafe {
        mman::mmap_anonymous(Some(hint), len, prot, flags)
    })?;
    if ptr.as_ptr() as usize != addr {
        return Err(Error::InvalidArgument(format!(
            "placeholder landed at {ptr:p}, not {addr:#x}"
        )));
    }
    Ok(())
}

/// madvise(2) on part of a mapping.
///
/// # Safety
/// The range lies in a mapping the caller owns; DONTNEED on a private mapping discards
/// its copy-on-write changes, which the caller must intend.
pub unsafe fn advise(addr: usize, len: usize, advice: MmapAdvise) -> Result<()> {
    let ptr = address(addr)?;
    // SAFETY: the caller owns the range and accepts the advice's effect on its contents.
    retry("madvise", Fds::None, || unsafe {
        mman::madvise(ptr, len, advice)
    })
}

/// msync(MS_SYNC): writes dirty pages of a shared mapping to the file and waits.
///
/// # Safety
/// The range lies in a mapping the caller owns.
pub unsafe fn sync(addr: usize, len: usize) -> Result<()> {
    let ptr = address(addr)?;
    // SAFETY: msync reads the caller's mapping; it changes no memory.
    retry("msync", Fds::None, || unsafe {
        mman::msync(ptr, len, MsFlags::MS_SYNC)
    })
}

/// mlock(2) / munlock(2).
///
/// # Safety
/// The range lies in a mapping the caller owns.
pub unsafe fn lock(addr: usize, len: usize, locked: bool) -> Result<()> {
    let ptr = address(addr)?;
    if locked {
        // SAFETY: mlock only pins pages of the caller's mapping.
        retry("mlock", Fds::None, || unsafe { mman::mlock(ptr, len) })
    } else {
        // SAFETY: munlock only unpins pages of the caller's mapping.
        retry("munlock", Fds::None, || unsafe { mman::munlock(ptr, len) })
    }
}

/// Faults every page of the range in, like `MappedByteBuffer.load()`, from the kernel
/// (MADV_POPULATE_READ, Linux 5.14+): a page past the end of the file is EFAULT, not
/// SIGBUS. Older kernels answer EINVAL; then each page is read here, in user mode, which
/// the caller must only do after checking that the file still covers the range (a
/// truncation racing with the loop would raise SIGBUS).
///
/// # Safety
/// The range lies in a readable mapping the caller owns.
pub unsafe fn populate(addr: usize, len: usize) -> Result<()> {
    // SAFETY: populating reads pages in; the contents do not change.
    match unsafe { advise(addr, len, MmapAdvise::MADV_POPULATE_READ) } {
        Ok(()) => Ok(()),
        Err(e) if e.errno() == Some(Errno::EINVAL) => {
            let page = page_size();
            for offset in (0..len).step_by(page) {
                // SAFETY: the address lies inside the caller's readable mapping, and the
                // caller checked that the file covers it.
                unsafe { std::ptr::read_volatile((addr + offset) as *const u8) };
            }
            Ok(())
        }
        Err(e) => Err(match e.errno() {
            Some(errno) => Error::os("madvise(MADV_POPULATE_READ)", Fds::None, errno),
            None => e,
        }),
    }
}

/// The file's size (fstat).
pub fn file_size(file: BorrowedFd<'_>) -> Result<u64> {
    let stat = retry("fstat", one(file), || nix::sys::stat::fstat(file))?;
    Ok(stat.st_size as u64)
}

/// Grows the file to `len` bytes if it is shorter (ftruncate never shrinks it here).
pub fn extend(file: BorrowedFd<'_>, len: u64) -> Result<()> {
    if file_size(file)? >= len {
        return Ok(());
    }
    let len = i64::try_from(len)
        .map_err(|_| Error::InvalidArgument(format!("length {len} is too large")))?;
    retry("ftruncate", one(file), || nix::unistd::ftruncate(file, len))
}

/// write(2) of `len` bytes at `addr` to `out`; one call, the caller loops.
///
/// # Safety
/// `addr..addr+len` is mapped (the kernel reports EFAULT for pages it cannot read).
pub unsafe fn write_from(out: BorrowedFd<'_>, addr: usize, len: usize) -> Result<usize> {
    let len = len.min(super::MAX_CHUNK);
    // SAFETY: the caller promises the range is mapped; the bytes are only read, and a page
    // the kernel cannot read (file truncated) makes write(2) fail with EFAULT.
    let bytes = unsafe { std::slice::from_raw_parts(addr as *const u8, len) };
    retry("write", one(out), || nix::unistd::write(out, bytes))
}

/// send(2) with MSG_DONTWAIT | MSG_NOSIGNAL: like [`write_from`] for a socket, but never
/// sleeps (EAGAIN instead) and never raises SIGPIPE.
///
/// # Safety
/// As [`write_from`].
pub unsafe fn send_from(out: BorrowedFd<'_>, addr: usize, len: usize) -> Result<usize> {
    let len = len.min(super::MAX_CHUNK);
    // SAFETY: as in `write_from`.
    let bytes = unsafe { std::slice::from_raw_parts(addr as *const u8, len) };
    let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
    retry("send", one(out), || send(out.as_raw_fd(), bytes, flags))
}

/// True when the kernel said a page of the mapping could not be read (file truncated).
pub fn is_fault(err: &Error) -> bool {
    err.errno() == Some(Errno::EFAULT)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek, SeekFrom, Write};
    use std::os::fd::AsFd;

    use super::*;
    use crate::sys::testutil;

    fn bytes_at(addr: usize, len: usize) -> Vec<u8> {
        // SAFETY: the tests read only ranges they mapped and keep mapped.
        unsafe { std::slice::from_raw_parts(addr as *const u8, len) }.to_vec()
    }

    fn page_of(byte: u8) -> Vec<u8> {
        vec![byte; page_size()]
    }

    #[test]
    fn maps_a_file_at_a_page_offset_and_reads_its_bytes() {
        let mut data = page_of(1);
        data.extend(page_of(2));
        let file = testutil::temp_file_with(&data);
        let addr = map(
            file.as_fd(),
            page_size() as u64,
            page_size(),
            Mode::ReadOnly,
            true,
        )
        .unwrap();
        assert_eq!(bytes_at(addr, page_size()), page_of(2));
        // SAFETY: the test owns the mapping and no longer reads it.
        unsafe { unmap(addr, page_size()) }.unwrap();
    }

    #[test]
    fn read_write_reaches_the_file_after_sync_and_private_never_does() {
        let mut file = testutil::temp_file_with(&page_of(0));
        let shared = map(file.as_fd(), 0, page_size(), Mode::ReadWrite, false).unwrap();
        let private = map(file.as_fd(), 0, page_size(), Mode::Private, false).unwrap();
        // SAFETY: both ranges are writable mappings the test owns.
        unsafe {
            *(private as *mut u8) = 9;
            *((shared + 1) as *mut u8) = 7;
            sync(shared, page_size()).unwrap();
        }
        let mut first = [0u8; 2];
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_exact(&mut first).unwrap();
        assert_eq!(first, [0, 7]);
        // SAFETY: the test owns both mappings and no longer uses them.
        unsafe {
            unmap(shared, page_size()).unwrap();
            unmap(private, page_size()).unwrap();
        }
    }

    #[test]
    fn placeholder_keeps_the_range_readable_as_zeros_and_releases_the_file() {
        let mut file = testutil::temp_file_with(&page_of(5));
        let addr = map(file.as_fd(), 0, page_size(), Mode::ReadWrite, false).unwrap();
        // SAFETY: the test owns the mapping and gives up its contents.
        unsafe { replace_with_placeholder(addr, page_size(), true) }.unwrap();
        assert_eq!(bytes_at(addr, page_size()), vec![0; page_size()]);
        // SAFETY: the placeholder is writable and owned by the test.
        unsafe { *(addr as *mut u8) = 1 };
        let mut first = [0u8; 1];
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_exact(&mut first).unwrap();
        assert_eq!(
            first,
            [5],
            "a write to the placeholder must not reach the file"
        );
        // SAFETY: the test owns the placeholder and no longer uses it.
        unsafe { unmap(addr, page_size()) }.unwrap();
    }

    #[test]
    fn populate_and_write_report_efault_for_pages_past_a_truncated_end() {
        let mut data = page_of(3);
        data.extend(page_of(4));
        let file = testutil::temp_file_with(&data);
        let len = 2 * page_size();
        let addr = map(file.as_fd(), 0, len, Mode::ReadOnly, false).unwrap();
        file.set_len(page_size() as u64).unwrap();
        // SAFETY: the range is the test's mapping; the kernel touches it, not user code.
        let err = unsafe { populate(addr, len) }.unwrap_err();
        assert!(is_fault(&err), "{err}");
        let (r, w) = testutil::pipe();
        // SAFETY: as above.
        let err = unsafe { write_from(w.as_fd(), addr + page_size(), 10) }.unwrap_err();
        assert!(is_fault(&err), "{err}");
        // SAFETY: the first page is still backed by the file.
        assert_eq!(unsafe { write_from(w.as_fd(), addr, 10) }.unwrap(), 10);
        assert_eq!(
            testutil::read_exact(std::fs::File::from(r), 10),
            vec![3; 10]
        );
        // SAFETY: the test owns the mapping.
        unsafe { unmap(addr, len) }.unwrap();
    }

    #[test]
    fn send_from_a_mapping_to_a_socket_never_sleeps() {
        let file = testutil::temp_file_with(&page_of(6));
        let addr = map(file.as_fd(), 0, page_size(), Mode::ReadOnly, false).unwrap();
        let (a, b) = testutil::tcp_pair();
        // SAFETY: the test's mapping.
        assert_eq!(unsafe { send_from(a.as_fd(), addr, 100) }.unwrap(), 100);
        assert_eq!(testutil::read_exact(&b, 100), vec![6; 100]);
        let mut total = 0usize;
        let err = loop {
            // SAFETY: the test's mapping; nobody reads `b`, so the socket fills up.
            match unsafe { send_from(a.as_fd(), addr, page_size()) } {
                Ok(n) => total += n,
                Err(e) => break e,
            }
            assert!(total < 1 << 30, "send never reported EAGAIN");
        };
        assert_eq!(err.errno(), Some(Errno::EAGAIN));
        // SAFETY: the test owns the mapping.
        unsafe { unmap(addr, page_size()) }.unwrap();
    }

    #[test]
    fn extend_grows_a_file_and_never_shrinks_it() {
        let mut file = testutil::temp_file_with(b"abc");
        extend(file.as_fd(), 10_000).unwrap();
        assert_eq!(file_size(file.as_fd()).unwrap(), 10_000);
        extend(file.as_fd(), 5).unwrap();
        assert_eq!(file_size(file.as_fd()).unwrap(), 10_000);
        file.write_all(b"x").unwrap();
    }

    #[test]
    fn advice_lock_and_bad_arguments() {
        let file = testutil::temp_file_with(&page_of(8));
        let addr = map(file.as_fd(), 0, page_size(), Mode::ReadOnly, false).unwrap();
        for code in 0..5 {
            // SAFETY: the test's read-only shared mapping; DONTNEED only drops clean pages.
            unsafe { advise(addr, page_size(), advice_from_code(code).unwrap()) }.unwrap();
        }
        assert!(advice_from_code(6).is_err());
        // mlock may be refused by RLIMIT_MEMLOCK; when it works, munlock must too.
        // SAFETY: the test's mapping.
        if unsafe { lock(addr, page_size(), true) }.is_ok() {
            // SAFETY: as above.
            unsafe { lock(addr, page_size(), false) }.unwrap();
        }
        // An unaligned offset is the kernel's EINVAL, named in the message.
        let err = map(file.as_fd(), 1, page_size(), Mode::ReadOnly, false).unwrap_err();
        assert_eq!(err.errno(), Some(Errno::EINVAL));
        assert!(err.to_string().starts_with("mmap(fd "), "{err}");
        assert!(map(file.as_fd(), 0, 0, Mode::ReadOnly, false).is_err());
        assert!(Mode::from_code(3).is_err());
        assert_eq!(file_size(file.as_fd()).unwrap(), page_size() as u64);
        // SAFETY: the test owns the mapping.
        unsafe { unmap(addr, page_size()) }.unwrap();
    }
}
