//! What a descriptor is (fstat) and how it was opened (fcntl F_GETFL).

use std::os::fd::BorrowedFd;

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::sys::stat::{SFlag, fstat};

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

pub fn kind(fd: BorrowedFd<'_>) -> Result<Kind> {
    let stat = retry("fstat", one(fd), || fstat(fd))?;
    let format = SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits());
    Ok(match format {
        SFlag::S_IFREG | SFlag::S_IFBLK => Kind::File,
        SFlag::S_IFIFO => Kind::Pipe,
        SFlag::S_IFSOCK => Kind::Socket,
        _ => Kind::Other,
    })
}

/// What the Java side needs to know about a descriptor, in one crossing (O_NONBLOCK is
/// read from the descriptor: JDK 21+ sets it on "blocking" channels used by virtual
/// threads, so a Java channel's mode does not tell): its [`Kind`] in
/// the low four bits, then [`CAN_READ`], [`CAN_WRITE`] and [`NONBLOCKING`].
pub fn describe(fd: BorrowedFd<'_>) -> Result<i32> {
    let flags =
        OFlag::from_bits_truncate(retry("fcntl", one(fd), || fcntl(fd, FcntlArg::F_GETFL))?);
    let mut bits = kind(fd)? as i32;
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

pub const CAN_READ: i32 = 0x10;
pub const CAN_WRITE: i32 = 0x20;
pub const NONBLOCKING: i32 = 0x40;
pub const APPENDING: i32 = 0x80;

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
        assert_eq!(kind(file.as_fd()).unwrap(), Kind::File);
        assert_eq!(kind(r.as_fd()).unwrap(), Kind::Pipe);
        assert_eq!(kind(a.as_fd()).unwrap(), Kind::Socket);
        let null = std::fs::File::open("/dev/null").unwrap();
        assert_eq!(kind(null.as_fd()).unwrap(), Kind::Other);
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
