//! What a descriptor is (fstat) and how it was opened (fcntl F_GETFL).

use std::os::fd::BorrowedFd;

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::stat::{SFlag, fstat, major};

use super::{one, retry};
use crate::error::Result;

/// The kind of file behind a descriptor, as far as choosing a kernel path needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Kind {
    File = 1,
    Pipe = 2,
    Socket = 3,
    Other = 4,
}

/// The [`Kind`] of the file behind `fd`, and whether a write to it can never sleep: a memory device (character
/// major 1: /dev/null, /dev/zero, /dev/full, /dev/urandom) takes or drops what it is given
/// at once, so sendfile into one needs no non-blocking dance.
fn stat_kind(fd: BorrowedFd<'_>) -> Result<(Kind, bool)> {
    let stat = retry("fstat", one(fd), || fstat(fd))?;
    let format = SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits());
    Ok(match format {
        SFlag::S_IFREG | SFlag::S_IFBLK => (Kind::File, false),
        SFlag::S_IFIFO => (Kind::Pipe, false),
        SFlag::S_IFSOCK => (Kind::Socket, false),
        SFlag::S_IFCHR => (Kind::Other, major(stat.st_rdev) == MEMORY_DEVICES_MAJOR),
        _ => (Kind::Other, false),
    })
}

/// Linux's character major number of /dev/null, /dev/zero and the other memory devices.
const MEMORY_DEVICES_MAJOR: u64 = 1;

/// What the Java side needs to know about a descriptor, in one crossing (O_NONBLOCK is
/// read from the descriptor: JDK 21+ sets it on "blocking" channels used by virtual
/// threads, so a Java channel's mode does not tell): its [`Kind`] in
/// the low four bits, then [`CAN_READ`], [`CAN_WRITE`], [`NONBLOCKING`], [`APPENDING`] and
/// [`WRITES_NEVER_SLEEP`].
pub fn describe(fd: BorrowedFd<'_>) -> Result<i32> {
    let flags =
        OFlag::from_bits_truncate(retry("fcntl", one(fd), || fcntl(fd, FcntlArg::F_GETFL))?);
    let (kind, writes_never_sleep) = stat_kind(fd)?;
    let mut bits = kind as i32;
    if writes_never_sleep {
        bits |= WRITES_NEVER_SLEEP;
    }
    let access = flags & OFlag::O_ACCMODE;
    if access == OFlag::O_RDONLY || access == OFlag::O_RDWR {
        bits |= CAN_READ;
    }
    if access == OFlag::O_WRONLY || access == OFlag::O_RDWR {
        bits |= CAN_WRITE;
    }
    if flags.contains(OFlag::O_NONBLOCK) {
        bits |= NONBLOCKING;
    }
    if flags.contains(OFlag::O_APPEND) {
        bits |= APPENDING;
    }
    Ok(bits)
}

/// [`describe`] for a descriptor whose access mode and O_APPEND its owner already knows (a
/// JDK FileChannel: NIO's own checks use those fields): one fstat, plus the F_GETFL that
/// [`describe`] makes for anything but a regular file, whose O_NONBLOCK then matters.
pub fn describe_opened(fd: BorrowedFd<'_>, read: bool, write: bool, append: bool) -> Result<i32> {
    let (kind, _) = stat_kind(fd)?;
    if kind != Kind::File {
        return describe(fd);
    }
    let mut bits = kind as i32;
    if read {
        bits |= CAN_READ;
    }
    if write {
        bits |= CAN_WRITE;
    }
    if append {
        bits |= APPENDING;
    }
    Ok(bits)
}

/// Runs `call` with O_NONBLOCK set on each of `fds` that lacks it, then clears it again.
///
/// For a socket in blocking mode, SPLICE_F_NONBLOCK covers only the pipe side: splice still
/// sleeps in the socket (no data to read; or, writing, until every byte is queued, however
/// little room poll reported), and the caller holds the channel's close lock. The flag lives
/// on the open file description, so another thread's blocking read or write on it may see
/// EAGAIN meanwhile; the JDK's blocking channels poll and retry on EAGAIN (JDK 21+ keeps the
/// flag set on blocking channels for virtual threads).
pub fn nonblocking_during<T>(
    fds: &[BorrowedFd<'_>],
    call: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let mut restore = Vec::with_capacity(fds.len());
    let mut result = Ok(());
    for &fd in fds {
        match retry("fcntl", one(fd), || fcntl(fd, FcntlArg::F_GETFL)) {
            Ok(bits) => {
                let flags = OFlag::from_bits_truncate(bits);
                if !flags.contains(OFlag::O_NONBLOCK) {
                    result = set_flags(fd, flags | OFlag::O_NONBLOCK);
                    if result.is_err() {
                        break;
                    }
                    restore.push((fd, flags));
                }
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let outcome = result.and_then(|()| call());
    for (fd, flags) in restore {
        // A descriptor left non-blocking would surprise its owner more than a lost count.
        set_flags(fd, flags)?;
    }
    outcome
}

/// Sets O_NONBLOCK on `fd` if it lacks it, for good (see `forceNonBlocking0`: only for a
/// descriptor whose owner handles EAGAIN in its blocking calls).
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> Result<()> {
    let flags =
        OFlag::from_bits_truncate(retry("fcntl", one(fd), || fcntl(fd, FcntlArg::F_GETFL))?);
    if flags.contains(OFlag::O_NONBLOCK) {
        return Ok(());
    }
    set_flags(fd, flags | OFlag::O_NONBLOCK)
}

fn set_flags(fd: BorrowedFd<'_>, flags: OFlag) -> Result<()> {
    retry("fcntl", one(fd), || fcntl(fd, FcntlArg::F_SETFL(flags))).map(drop)
}

/// [`describe`]'s low bits hold the [`Kind`]; the flag bits follow.
pub const KIND_MASK: i32 = 0xf;
pub const CAN_READ: i32 = 0x10;
pub const CAN_WRITE: i32 = 0x20;
pub const NONBLOCKING: i32 = 0x40;
pub const APPENDING: i32 = 0x80;
pub const WRITES_NEVER_SLEEP: i32 = 0x100;

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;
    use crate::sys::testutil;

    #[test]
    fn kinds_of_real_descriptors() {
        let file = testutil::temp_file_with(b"x");
        let (r, _w) = testutil::pipe();
        let (a, _b) = testutil::tcp_pair();
        assert_eq!(stat_kind(file.as_fd()).unwrap().0, Kind::File);
        assert_eq!(stat_kind(r.as_fd()).unwrap().0, Kind::Pipe);
        assert_eq!(stat_kind(a.as_fd()).unwrap().0, Kind::Socket);
        let null = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(stat_kind(null.as_fd()).unwrap().0, Kind::Other);
        assert_ne!(describe(null.as_fd()).unwrap() & WRITES_NEVER_SLEEP, 0);
        let tty = std::fs::File::open("/dev/tty").or_else(|_| std::fs::File::open("/dev/ptmx"));
        if let Ok(tty) = tty {
            // A terminal is a character device whose writes can sleep (flow control).
            assert_eq!(describe(tty.as_fd()).unwrap() & WRITES_NEVER_SLEEP, 0);
        }
        assert_eq!(describe(a.as_fd()).unwrap() & WRITES_NEVER_SLEEP, 0);
    }

    #[test]
    fn a_blocking_socket_is_non_blocking_only_during_the_call() {
        let (a, _b) = testutil::tcp_pair();
        let (_r, w) = testutil::pipe();
        let nonblock = nix::fcntl::SpliceFFlags::SPLICE_F_NONBLOCK;
        // Nothing to read: without the wrapper this splice would sleep until data came.
        let err = nonblocking_during(&[a.as_fd()], || {
            crate::sys::splice::splice(a.as_fd(), None, w.as_fd(), None, 4096, nonblock)
        })
        .unwrap_err();
        assert_eq!(err.errno(), Some(nix::errno::Errno::EAGAIN));
        assert_eq!(
            describe(a.as_fd()).unwrap() & NONBLOCKING,
            0,
            "flag cleared again"
        );
        a.set_nonblocking(true).unwrap();
        nonblocking_during(&[a.as_fd()], || Ok(())).unwrap();
        assert_ne!(
            describe(a.as_fd()).unwrap() & NONBLOCKING,
            0,
            "a non-blocking socket stays so"
        );
    }

    #[test]
    fn describe_opened_takes_access_from_the_owner_for_files_only() {
        let file = testutil::temp_file_with(b"x");
        assert_eq!(
            describe_opened(file.as_fd(), true, false, true).unwrap(),
            Kind::File as i32 | CAN_READ | APPENDING
        );
        let (r, _w) = testutil::pipe();
        // Not a regular file: what the descriptor says, as describe.
        assert_eq!(
            describe_opened(r.as_fd(), true, true, true).unwrap(),
            describe(r.as_fd()).unwrap()
        );
    }

    #[test]
    fn set_nonblocking_leaves_the_flag_set_and_keeps_the_others() {
        let (a, _b) = testutil::tcp_pair();
        let before = describe(a.as_fd()).unwrap();
        assert_eq!(before & NONBLOCKING, 0);
        set_nonblocking(a.as_fd()).unwrap();
        assert_eq!(describe(a.as_fd()).unwrap(), before | NONBLOCKING);
        set_nonblocking(a.as_fd()).unwrap();
        assert_eq!(
            describe(a.as_fd()).unwrap(),
            before | NONBLOCKING,
            "idempotent"
        );
    }

    #[test]
    fn splice_into_a_blocking_socket_with_little_room_stops_instead_of_sleeping() {
        use nix::sys::socket::{setsockopt, sockopt};
        let (a, b) = testutil::tcp_pair();
        setsockopt(&a, sockopt::SndBuf, &4096).unwrap();
        setsockopt(&b, sockopt::RcvBuf, &4096).unwrap();
        let (r, w) = testutil::pipe();
        let queued = 65536;
        nix::unistd::write(&w, &vec![7u8; queued]).unwrap();
        let nonblock = nix::fcntl::SpliceFFlags::SPLICE_F_NONBLOCK;
        let mut moved = 0;
        // The peer never reads: a blocking splice of the pipe would sleep once the small
        // buffers are full, poll having said "writable" before.
        let stopped = loop {
            match nonblocking_during(&[a.as_fd()], || {
                crate::sys::splice::splice(r.as_fd(), None, a.as_fd(), None, queued, nonblock)
            }) {
                Ok(n) => moved += n,
                Err(e) => break e,
            }
        };
        assert_eq!(stopped.errno(), Some(nix::errno::Errno::EAGAIN));
        assert!(moved > 0 && moved < queued, "moved {moved} of {queued}");
        assert_eq!(describe(a.as_fd()).unwrap() & NONBLOCKING, 0);
    }

    #[test]
    fn describe_reports_kind_access_and_flags() {
        let path = std::env::temp_dir().join(format!("zerocopy-describe-{}", std::process::id()));
        let appending = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .unwrap();
        let reading = std::fs::File::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(
            describe(appending.as_fd()).unwrap(),
            Kind::File as i32 | CAN_WRITE | APPENDING
        );
        assert_eq!(
            describe(reading.as_fd()).unwrap(),
            Kind::File as i32 | CAN_READ
        );
        let (a, _b) = testutil::tcp_pair();
        a.set_nonblocking(true).unwrap();
        assert_eq!(
            describe(a.as_fd()).unwrap(),
            Kind::Socket as i32 | CAN_READ | CAN_WRITE | NONBLOCKING
        );
    }
}
