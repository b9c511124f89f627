//! The only code that imports `jni`: thin exports for `dev.zerocopy.Native`.
//!
//! Each export converts its ints and longs, borrows descriptors, calls one `sys`
//! function and converts the result; errors and panics go through [`ThrowJava`].

#![deny(clippy::unwrap_used)]

mod channel;
mod io;
mod mmap;
mod pipes;
mod poll;
mod transfer;

use std::os::fd::BorrowedFd;

use nix::errno::Errno;

use crate::error::{Error, Fds, Result};

pub use crate::error::ThrowJava;

/// Borrows a descriptor number handed over by Java. Negative numbers (a closed
/// `FileDescriptor` reads -1) are EBADF, which Java sees as ClosedChannelException.
fn borrow<'a>(op: &'static str, fd: i32) -> Result<BorrowedFd<'a>> {
    if fd < 0 {
        return Err(Error::os(op, Fds::One(fd), Errno::EBADF));
    }
    // SAFETY: the Java facade holds the channel's close lock (or owns the descriptor)
    // for the whole native call, so the number stays open and refers to the same file
    // until this call returns; the borrow does not escape the call.
    Ok(unsafe { BorrowedFd::borrow_raw(fd) })
}

/// A Java `long` count or offset that must not be negative.
fn to_usize(what: &str, value: i64) -> Result<usize> {
    usize::try_from(value)
        .map_err(|_| Error::InvalidArgument(format!("{what} is negative: {value}")))
}
