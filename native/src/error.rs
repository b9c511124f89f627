//! The library's one error type and the one place where an errno becomes a Java exception.

use std::fmt;

use jni::Env;
use jni::errors::ErrorPolicy;
use jni::objects::{Global, JClass, JMethodID, JValue};
use jni::{jni_sig, jni_str};
use nix::errno::Errno;
use once_cell::sync::OnceCell;

/// Everything that can go wrong below the Java facade.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call failed; `op` names it and `fds` the descriptors it was given.
    #[error("{op}({fds}): {errno:?}: {}", errno.desc())]
    Os {
        op: &'static str,
        fds: Fds,
        errno: Errno,
    },
    /// An argument the kernel would reject, caught before the call.
    #[error("{0}")]
    InvalidArgument(String),
    /// A JNI call failed (a Java exception may already be pending).
    #[error(transparent)]
    Jni(#[from] jni::errors::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The descriptors a failed call was given, for messages like `splice(fd 12 -> fd 14)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fds {
    /// A call on memory, not on a descriptor (munmap, madvise, msync).
    None,
    One(i32),
    Two(i32, i32),
}

impl fmt::Display for Fds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fds::None => Ok(()),
            Fds::One(fd) => write!(f, "fd {fd}"),
            Fds::Two(from, to) => write!(f, "fd {from} -> fd {to}"),
        }
    }
}

impl Error {
    pub fn os(op: &'static str, fds: Fds, errno: Errno) -> Self {
        Error::Os { op, fds, errno }
    }

    /// The errno of a failed system call, if this is one.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Os { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// What the errno means to the Java side; see [`Reason`].
    pub fn reason(&self) -> Reason {
        match self.errno() {
            Some(Errno::EINVAL) => Reason::Invalid,
            Some(Errno::EXDEV | Errno::ENOSYS | Errno::EOPNOTSUPP) => Reason::Unsupported,
            Some(Errno::ENOMEM) => Reason::NoMemory,
            Some(Errno::EMFILE | Errno::ENFILE) => Reason::NoDescriptors,
            Some(Errno::EPERM) => Reason::NotPermitted,
            Some(Errno::EBUSY) => Reason::Busy,
            _ => Reason::Other,
        }
    }

    /// True when the kernel refused this *path* (not the data): the caller may fall back
    /// to the next technique (copy_file_range -> sendfile -> splice -> copy loop).
    pub fn is_refusal(&self) -> bool {
        self.reason().is_refusal()
    }
}

/// The one table of what an errno means, carried by `ErrnoException.reason()` so that
/// Java switches on meaning and never on errno numbers (as Netty's `Errors.java`). Java's
/// `ErrnoException.Reason` has a constant of the same name for each; Java reads the
/// numbers from [`crate::jni`]'s constant table, and a test fails if a name is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum Reason {
    /// Nothing the library treats specially: the message and `errno()` say what happened.
    Other = 0,
    /// EINVAL: an argument this call or path does not take (a refusal: the next path may
    /// work; between two files, overlapping ranges of one file).
    Invalid = 1,
    /// EXDEV, ENOSYS, EOPNOTSUPP: this path does not exist here (a refusal).
    Unsupported = 2,
    /// ENOMEM: out of memory, mappings (vm.max_map_count) or address space.
    NoMemory = 3,
    /// EMFILE, ENFILE: no descriptor for a new pipe.
    NoDescriptors = 4,
    /// EPERM: a limit this user may not exceed (pipe-max-size, pipe-user-pages).
    NotPermitted = 5,
    /// EBUSY: the resource is in use (a pipe holds more than the new capacity).
    Busy = 6,
}

impl Reason {
    /// Every reason, with the name Java's enum constant has.
    pub const ALL: [(Reason, &'static str); 7] = [
        (Reason::Other, "OTHER"),
        (Reason::Invalid, "INVALID"),
        (Reason::Unsupported, "UNSUPPORTED"),
        (Reason::NoMemory, "NO_MEMORY"),
        (Reason::NoDescriptors, "NO_DESCRIPTORS"),
        (Reason::NotPermitted, "NOT_PERMITTED"),
        (Reason::Busy, "BUSY"),
    ];

    pub fn is_refusal(self) -> bool {
        matches!(self, Reason::Invalid | Reason::Unsupported)
    }
}

/// What a native returns to Java for "the descriptor would block" (EAGAIN).
/// Every other error is thrown; byte counts are never negative.
pub const WOULD_BLOCK: i64 = -2;

/// Converts a byte count into the value a native returns: EAGAIN becomes [`WOULD_BLOCK`].
pub fn count_or_would_block(result: Result<usize>) -> Result<i64> {
    match result {
        Ok(n) => Ok(n as i64),
        Err(e) if e.errno() == Some(Errno::EAGAIN) => Ok(WOULD_BLOCK),
        Err(e) => Err(e),
    }
}

/// `dev.zerocopy.ErrnoException` and its constructor, looked up once.
struct ErrnoExceptionClass {
    class: Global<JClass<'static>>,
    constructor: JMethodID,
}

static ERRNO_EXCEPTION: OnceCell<ErrnoExceptionClass> = OnceCell::new();

fn errno_exception(env: &mut Env<'_>) -> jni::errors::Result<&'static ErrnoExceptionClass> {
    ERRNO_EXCEPTION.get_or_try_init(|| {
        let class = env.find_class(jni_str!("dev/zerocopy/ErrnoException"))?;
        let constructor = env.get_method_id(
            &class,
            jni_str!("<init>"),
            jni_sig!("(Ljava/lang/String;II)V"),
        )?;
        Ok(ErrnoExceptionClass {
            class: env.new_global_ref(class)?,
            constructor,
        })
    })
}

/// The errno -> Java exception table. Runs with no exception pending.
fn throw(env: &mut Env<'_>, err: &Error) -> jni::errors::Result<()> {
    match err {
        Error::Os {
            errno: Errno::EBADF,
            ..
        } => env.throw_new_void(jni_str!("java/nio/channels/ClosedChannelException")),
        Error::Os { errno, .. } => {
            let cached = errno_exception(env)?;
            let message = env.new_string(err.to_string())?;
            let args = [
                JValue::Object(&message).as_jni(),
                JValue::Int(*errno as i32).as_jni(),
                JValue::Int(err.reason() as i32).as_jni(),
            ];
            // SAFETY: `constructor` is ErrnoException(String, int, int), looked up on the
            // very class passed here, and `args` are a String and two ints in that order.
            let exception =
                unsafe { env.new_object_unchecked(&cached.class, cached.constructor, &args) }?;
            let exception = jni::objects::JThrowable::cast_local(env, exception)?;
            env.throw(exception)
        }
        Error::InvalidArgument(message) => {
            let message = jni::strings::JNIString::from(message.as_str());
            env.throw_new(jni_str!("java/lang/IllegalArgumentException"), message)
        }
        Error::Jni(jni_err) => {
            let message =
                jni::strings::JNIString::from(format!("zerocopy: JNI failure: {jni_err}"));
            env.throw_new(jni_str!("java/lang/Error"), message)
        }
    }
}

/// The error policy of every exported native: an [`Error`] becomes the Java exception the
/// table above names, a panic becomes `java.lang.Error`; the return value is then ignored.
pub struct ThrowJava;

impl<T: Default> ErrorPolicy<T, Error> for ThrowJava {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        err: Error,
    ) -> jni::errors::Result<T> {
        // A Java exception raised inside the body (e.g. by a JNI call) stays as it is.
        if !env.exception_check() {
            let _ = throw(env, &err);
        }
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut (),
        payload: Box<dyn std::any::Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string());
        if env.exception_check() {
            env.exception_clear();
        }
        let message = jni::strings::JNIString::from(format!("zerocopy: native panic: {text}"));
        let _ = env.throw_new(jni_str!("java/lang/Error"), message);
        Ok(T::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_the_call_and_descriptors() {
        let e = Error::os("splice", Fds::Two(12, 14), Errno::EPIPE);
        assert_eq!(e.to_string(), "splice(fd 12 -> fd 14): EPIPE: Broken pipe");
    }

    #[test]
    fn refusals_are_the_fallback_errnos_only() {
        for errno in [
            Errno::EINVAL,
            Errno::EXDEV,
            Errno::ENOSYS,
            Errno::EOPNOTSUPP,
        ] {
            assert!(Error::os("copy_file_range", Fds::Two(3, 4), errno).is_refusal());
        }
        for errno in [Errno::EPIPE, Errno::EBADF, Errno::EAGAIN, Errno::EIO] {
            assert!(!Error::os("splice", Fds::One(3), errno).is_refusal());
        }
    }

    #[test]
    fn each_errno_the_java_side_acts_on_has_its_reason() {
        let reason = |errno| Error::os("call", Fds::One(3), errno).reason();
        assert_eq!(reason(Errno::EINVAL), Reason::Invalid);
        assert_eq!(reason(Errno::EXDEV), Reason::Unsupported);
        assert_eq!(reason(Errno::ENOMEM), Reason::NoMemory);
        assert_eq!(reason(Errno::EMFILE), Reason::NoDescriptors);
        assert_eq!(reason(Errno::ENFILE), Reason::NoDescriptors);
        assert_eq!(reason(Errno::EPERM), Reason::NotPermitted);
        assert_eq!(reason(Errno::EBUSY), Reason::Busy);
        assert_eq!(reason(Errno::EPIPE), Reason::Other);
        assert_eq!(Error::InvalidArgument("x".into()).reason(), Reason::Other);
        for (position, (reason, _)) in Reason::ALL.iter().enumerate() {
            assert_eq!(
                *reason as usize, position,
                "ALL lists reasons in code order"
            );
        }
    }

    #[test]
    fn eagain_becomes_would_block_and_other_errors_stay() {
        let eagain = Err(Error::os("splice", Fds::One(3), Errno::EAGAIN));
        assert_eq!(count_or_would_block(eagain).unwrap(), WOULD_BLOCK);
        assert_eq!(count_or_would_block(Ok(7)).unwrap(), 7);
        let epipe = Err(Error::os("splice", Fds::One(3), Errno::EPIPE));
        assert!(count_or_would_block(epipe).is_err());
    }
}
