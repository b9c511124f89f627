//! The only code that imports `jni`: thin exports for `dev.zerocopy.Native`, one file per
//! `sys` file (`fd`, `splice` for splice/tee/vmsplice, `sendfile`, `copy_range`, `pipe`,
//! `poll`, `mmap`), plus `testing` for the exports only the test suite calls.
//!
//! Each export converts its ints and longs, borrows descriptors, calls one `sys`
//! function and converts the result. The envelope around that (the JNI signature, the
//! exported symbol, `catch_unwind`, the error policy [`ThrowJava`]) is written once, in
//! [`native!`].

#![deny(clippy::unwrap_used)]

use std::os::fd::BorrowedFd;

use nix::errno::Errno;

use crate::error::{Error, Fds, Result};

pub use crate::error::ThrowJava;

/// Defines the export of `static native ... name(args)` of `dev.zerocopy.Native`: a
/// function `Java_dev_zerocopy_Native_<name>` whose body runs inside
/// `EnvUnowned::with_env` (so a panic is caught) and whose `Result` is resolved by
/// [`ThrowJava`] (an error or panic becomes the Java exception; the return value is then
/// ignored). The body sees the `Env` under the name given first, and returns
/// `Result<ret>`; `'local` is the lifetime of the call's local references.
macro_rules! native {
    (@ret) => { () };
    (@ret $ret:ty) => { $ret };
    (
        $(#[$doc:meta])*
        fn $name:ident($env:pat $(, $arg:ident: $ty:ty)* $(,)?) $(-> $ret:ty)? $body:block
    ) => {
        $(#[$doc])*
        #[unsafe(export_name = concat!("Java_dev_zerocopy_Native_", stringify!($name)))]
        #[allow(non_snake_case)]
        pub extern "system" fn $name<'local>(
            mut unowned: ::jni::EnvUnowned<'local>,
            _class: ::jni::objects::JClass<'local>,
            $($arg: $ty),*
        ) $(-> $ret)? {
            unowned
                .with_env(
                    |$env: &mut ::jni::Env<'local>| -> $crate::error::Result<native!(@ret $($ret)?)> {
                        $body
                    },
                )
                .resolve::<$crate::jni::ThrowJava>()
        }
    };
}

mod copy_range;
mod fd;
mod mmap;
mod pipe;
mod poll;
mod sendfile;
mod splice;
mod testing;

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

/// A byte count for a Java `int`: clamped, never negative.
fn to_jint(value: usize) -> jni::sys::jint {
    value.min(i32::MAX as usize) as jni::sys::jint
}
