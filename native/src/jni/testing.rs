//! Exports that only the test suite calls.

use jni::sys::{jint, jstring};

native! {
    /// `static native String panic0(int depth)`: panics on purpose, so a test can prove
    /// that a Rust panic reaches Java as `java.lang.Error` instead of aborting the JVM.
    fn panic0(_, depth: jint) -> jstring {
        panic!("deliberate panic for the test suite (depth {depth})");
    }
}
