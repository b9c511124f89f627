//! Linux zero-copy I/O for the JVM.
//!
//! Three layers, calls go one way:
//! - [`sys`]: plain Rust over `nix`, one module per syscall family, no JNI types.
//! - [`jni`](crate::jni): thin exported shims for `dev.zerocopy.Native`.
//! - [`error`]: the one error type, and the one errno -> Java exception table.
//!
//! The Java facade (`dev.zerocopy.ZeroCopy`) holds every NIO rule; the natives only
//! convert arguments, call one kernel function and report what it did.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod error;
pub mod jni;
pub mod sys;

pub use error::{Error, Result};
