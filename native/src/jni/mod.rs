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

use jni::objects::JString;
use jni::sys::jlong;

use crate::error::{Error, Fds, Reason, Result};
use crate::sys;

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
mod regions;
mod sendfile;
mod splice;
mod testing;

/// Every number that Java and Rust must agree on, by the name of its `Native` field: Java
/// reads them from here when `Native` is initialised (as Netty's `Native.java` does), so
/// each has one source. A name Java asks for that is missing here fails `Native`'s
/// initialisation, and a test initialises it.
fn constants() -> Vec<(String, i64)> {
    use sys::fd::Kind;
    use sys::mmap::Mode;
    let mut table: Vec<(String, i64)> = [
        ("WOULD_BLOCK", crate::error::WOULD_BLOCK),
        ("READABLE", sys::poll::READABLE.into()),
        ("WRITABLE", sys::poll::WRITABLE.into()),
        ("FAILED", sys::poll::FAILED.into()),
        ("KIND_MASK", sys::fd::KIND_MASK.into()),
        ("KIND_FILE", (Kind::File as i32).into()),
        ("KIND_PIPE", (Kind::Pipe as i32).into()),
        ("KIND_SOCKET", (Kind::Socket as i32).into()),
        ("KIND_OTHER", (Kind::Other as i32).into()),
        ("CAN_READ", sys::fd::CAN_READ.into()),
        ("CAN_WRITE", sys::fd::CAN_WRITE.into()),
        ("NONBLOCKING", sys::fd::NONBLOCKING.into()),
        ("APPENDING", sys::fd::APPENDING.into()),
        ("WRITES_NEVER_SLEEP", sys::fd::WRITES_NEVER_SLEEP.into()),
        ("IN_MAY_SLEEP", splice::IN_MAY_SLEEP.into()),
        ("OUT_MAY_SLEEP", splice::OUT_MAY_SLEEP.into()),
        (
            "HOLDER_FILE_DESCRIPTOR",
            self::fd::HOLDER_FILE_DESCRIPTOR.into(),
        ),
        ("HOLDER_FILE_CHANNEL", self::fd::HOLDER_FILE_CHANNEL.into()),
        (
            "HOLDER_SOCKET_CHANNEL",
            self::fd::HOLDER_SOCKET_CHANNEL.into(),
        ),
        ("HOLDER_PIPE_SOURCE", self::fd::HOLDER_PIPE_SOURCE.into()),
        ("HOLDER_PIPE_SINK", self::fd::HOLDER_PIPE_SINK.into()),
        ("MAP_READ_ONLY", (Mode::ReadOnly as i32).into()),
        ("MAP_READ_WRITE", (Mode::ReadWrite as i32).into()),
        ("MAP_PRIVATE", (Mode::Private as i32).into()),
        ("MAX_IOVECS", sys::splice::MAX_IOVECS as i64),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect();
    for (reason, name) in Reason::ALL {
        table.push((format!("REASON_{name}"), (reason as i32).into()));
    }
    table.push(("REASON_COUNT".into(), Reason::ALL.len() as i64));
    table
}

native! {
    /// `static native long constant0(String name)`: the value of a shared constant (see
    /// [`constants`]); IllegalArgumentException for a name the table lacks.
    fn constant0(env, name: JString<'local>) -> jlong {
        let name = name.try_to_string(env)?;
        constants()
            .into_iter()
            .find(|(known, _)| *known == name)
            .map(|(_, value)| value)
            .ok_or_else(|| Error::InvalidArgument(format!("no native constant named {name}")))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_names_are_unique() {
        let table = constants();
        let mut names: Vec<&str> = table.iter().map(|(name, _)| name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), table.len());
    }
}
