//! Exports for `sys::fd` (what a descriptor is, closing one the library owns) and the two
//! that find a channel's descriptor and close lock.
//!
//! The descriptor and the close lock are read from the channel's private fields: JNI reads
//! fields without access checks, so no `--add-opens` is needed. Java decides which JDK
//! class holds the descriptor (see `Endpoint.java`); the field IDs for each holder are
//! looked up once and cached.

use std::os::fd::{FromRawFd, OwnedFd};

use jni::Env;
use jni::objects::JValue;
use jni::objects::{JClass, JFieldID, JObject};
use jni::signature::{JavaType, Primitive};
use jni::sys::{jboolean, jint};
use jni::{jni_sig, jni_str};
use once_cell::sync::OnceCell;

use super::borrow;
use crate::error::{Error, Result};
use crate::sys;

/// Which JDK class holds the descriptor, so which `fd` field to read (Java's
/// `Native.HOLDER_*`, read from the constant table). Not to be confused with the *kind* of
/// file behind a descriptor (`sys::fd::Kind`).
pub(super) const HOLDER_FILE_DESCRIPTOR: jint = 0;
pub(super) const HOLDER_FILE_CHANNEL: jint = 1;
pub(super) const HOLDER_SOCKET_CHANNEL: jint = 2;
pub(super) const HOLDER_PIPE_SOURCE: jint = 3;
pub(super) const HOLDER_PIPE_SINK: jint = 4;

struct Fields {
    /// `java.io.FileDescriptor.fd` (int)
    descriptor_fd: JFieldID,
    /// The `fd` field (a FileDescriptor) of FileChannelImpl, SocketChannelImpl,
    /// SourceChannelImpl and SinkChannelImpl, by holder - 1.
    channel_fd: [JFieldID; 4],
    /// `AbstractInterruptibleChannel.closeLock`: close() runs inside this monitor.
    close_lock: JFieldID,
}

static FIELDS: OnceCell<Fields> = OnceCell::new();

fn fields(env: &mut Env<'_>) -> Result<&'static Fields> {
    FIELDS.get_or_try_init(|| {
        let fd_sig = jni_sig!("Ljava/io/FileDescriptor;");
        let mut channel_fd = Vec::with_capacity(4);
        for class in [
            jni_str!("sun/nio/ch/FileChannelImpl"),
            jni_str!("sun/nio/ch/SocketChannelImpl"),
            jni_str!("sun/nio/ch/SourceChannelImpl"),
            jni_str!("sun/nio/ch/SinkChannelImpl"),
        ] {
            let class: JClass<'_> = env.find_class(class)?;
            channel_fd.push(env.get_field_id(&class, jni_str!("fd"), &fd_sig)?);
        }
        let channel_fd: [JFieldID; 4] = channel_fd
            .try_into()
            .map_err(|_| Error::InvalidArgument("channel field table".into()))?;
        Ok(Fields {
            descriptor_fd: env.get_field_id(
                jni_str!("java/io/FileDescriptor"),
                jni_str!("fd"),
                jni_sig!("I"),
            )?,
            channel_fd,
            close_lock: env.get_field_id(
                jni_str!("java/nio/channels/spi/AbstractInterruptibleChannel"),
                jni_str!("closeLock"),
                jni_sig!("Ljava/lang/Object;"),
            )?,
        })
    })
}

fn descriptor_of(env: &mut Env<'_>, object: &JObject<'_>, holder: jint) -> Result<jint> {
    let fields = fields(env)?;
    let descriptor = match holder {
        HOLDER_FILE_DESCRIPTOR => env.new_local_ref(object)?,
        HOLDER_FILE_CHANNEL | HOLDER_SOCKET_CHANNEL | HOLDER_PIPE_SOURCE | HOLDER_PIPE_SINK => {
            let field = fields.channel_fd[(holder - 1) as usize];
            // SAFETY: `object` is non-null (checked by Java) and an instance of the class
            // the field was looked up in (Java chose `holder` from its class); the field's
            // type is FileDescriptor, an object.
            unsafe { env.get_field_unchecked(object, field, JavaType::Object) }?.l()?
        }
        other => {
            return Err(Error::InvalidArgument(format!(
                "unknown descriptor holder {other}"
            )));
        }
    };
    if descriptor.is_null() {
        return Ok(-1);
    }
    // SAFETY: `descriptor` is a non-null java.io.FileDescriptor and `descriptor_fd` is
    // its int field `fd`.
    let fd = unsafe {
        env.get_field_unchecked(
            &descriptor,
            fields.descriptor_fd,
            JavaType::Primitive(Primitive::Int),
        )
    }?
    .i()?;
    Ok(fd)
}

native! {
    /// `static native int fd0(Object channelOrDescriptor, int holder)`: the descriptor
    /// number, -1 when the channel or FileDescriptor is closed.
    fn fd0(env, object: JObject<'local>, holder: jint) -> jint {
        descriptor_of(env, &object, holder)
    }
}

native! {
    /// `static native Object closeLock0(Channel channel)`: the monitor that the channel's
    /// close() holds while it closes the descriptor.
    fn closeLock0(env, channel: JObject<'local>) -> JObject<'local> {
        let field = fields(env)?.close_lock;
        // SAFETY: `channel` is a non-null AbstractInterruptibleChannel (checked by Java)
        // and `closeLock` is its Object field.
        let lock = unsafe { env.get_field_unchecked(&channel, field, JavaType::Object) }?.l()?;
        Ok(lock)
    }
}

/// SocketChannelImpl's `stateLock` and, from JDK 21 (19 with previews), `forcedNonBlocking`:
/// set when a virtual thread first reads or writes a blocking socket, after which the JDK
/// keeps its descriptor non-blocking and its blocking calls poll on EAGAIN.
struct SocketFields {
    state_lock: JFieldID,
    forced: JFieldID,
}

/// None on a JDK without `forcedNonBlocking`.
static SOCKET_FIELDS: OnceCell<Option<SocketFields>> = OnceCell::new();

fn socket_fields(env: &mut Env<'_>) -> Result<Option<&'static SocketFields>> {
    let fields = SOCKET_FIELDS.get_or_try_init(|| -> Result<Option<SocketFields>> {
        let class: JClass<'_> = env.find_class(jni_str!("sun/nio/ch/SocketChannelImpl"))?;
        let forced = match env.get_field_id(&class, jni_str!("forcedNonBlocking"), jni_sig!("Z")) {
            Ok(id) => id,
            Err(jni::errors::Error::FieldNotFound { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let state_lock = env.get_field_id(
            &class,
            jni_str!("stateLock"),
            jni_sig!("Ljava/lang/Object;"),
        )?;
        Ok(Some(SocketFields { state_lock, forced }))
    })?;
    Ok(fields.as_ref())
}

native! {
    /// `static native int forcedNonBlocking0(Object socketChannel, int fd, boolean force)`:
    /// 1 when the JDK keeps this blocking SocketChannel's descriptor non-blocking for good
    /// (its `forcedNonBlocking`, JDK 21+), 0 when not, -1 on a JDK without that state. With
    /// `force` (the caller is a virtual thread), first does what the JDK's own first read or
    /// write from a virtual thread would: inside the channel's state lock, set O_NONBLOCK
    /// on the descriptor and the flag. The caller holds the close lock and found the
    /// channel open, so `fd` is the channel's descriptor.
    fn forcedNonBlocking0(env, channel: JObject<'local>, fd: jint, force: jboolean) -> jint {
        let Some(fields) = socket_fields(env)? else {
            return Ok(-1);
        };
        let boolean = JavaType::Primitive(Primitive::Boolean);
        // SAFETY: `channel` is a non-null SocketChannelImpl (Java resolved it as
        // HOLDER_SOCKET_CHANNEL) and `forcedNonBlocking` is its boolean field.
        let forced = unsafe { env.get_field_unchecked(&channel, fields.forced, boolean) }?.z()?;
        if forced || !force {
            return Ok(forced.into());
        }
        // SAFETY: as above; `stateLock` is its Object field.
        let lock =
            unsafe { env.get_field_unchecked(&channel, fields.state_lock, JavaType::Object) }?
                .l()?;
        let _held = env.lock_obj(&lock)?;
        // SAFETY: as above.
        let forced = unsafe { env.get_field_unchecked(&channel, fields.forced, boolean) }?.z()?;
        if !forced {
            sys::fd::set_nonblocking(borrow("fcntl", fd)?)?;
            // SAFETY: as above.
            unsafe { env.set_field_unchecked(&channel, fields.forced, JValue::Bool(true)) }?;
        }
        Ok(1)
    }
}

native! {
    /// `static native int describe0(int fd)`: kind and access bits, see `sys::fd::describe`.
    fn describe0(_, fd: jint) -> jint {
        sys::fd::describe(borrow("fstat", fd)?)
    }
}

/// FileChannelImpl's `readable` and `writable`, FileDescriptor's `append`: what NIO's own
/// checks and transfers read.
struct FileChannelFields {
    readable: JFieldID,
    writable: JFieldID,
    append: JFieldID,
}

static FILE_CHANNEL_FIELDS: OnceCell<FileChannelFields> = OnceCell::new();

native! {
    /// `static native int describeFileChannel0(FileChannel channel, int fd)`: as describe0,
    /// with the access mode and O_APPEND as the channel knows them (see
    /// `sys::fd::describe_opened`): one fstat for a regular file.
    fn describeFileChannel0(env, channel: JObject<'local>, fd: jint) -> jint {
        let access = FILE_CHANNEL_FIELDS.get_or_try_init(|| -> Result<FileChannelFields> {
            let class: JClass<'_> = env.find_class(jni_str!("sun/nio/ch/FileChannelImpl"))?;
            Ok(FileChannelFields {
                readable: env.get_field_id(&class, jni_str!("readable"), jni_sig!("Z"))?,
                writable: env.get_field_id(&class, jni_str!("writable"), jni_sig!("Z"))?,
                append: env.get_field_id(
                    jni_str!("java/io/FileDescriptor"),
                    jni_str!("append"),
                    jni_sig!("Z"),
                )?,
            })
        })?;
        let boolean = JavaType::Primitive(Primitive::Boolean);
        // SAFETY: `channel` is a non-null FileChannelImpl (Java resolved it as
        // HOLDER_FILE_CHANNEL); `readable` and `writable` are its boolean fields.
        let read = unsafe { env.get_field_unchecked(&channel, access.readable, boolean) }?.z()?;
        // SAFETY: as above.
        let write = unsafe { env.get_field_unchecked(&channel, access.writable, boolean) }?.z()?;
        let field = fields(env)?.channel_fd[(HOLDER_FILE_CHANNEL - 1) as usize];
        // SAFETY: as above; its `fd` field is a FileDescriptor.
        let descriptor = unsafe { env.get_field_unchecked(&channel, field, JavaType::Object) }?.l()?;
        if descriptor.is_null() {
            return Err(Error::InvalidArgument("closed FileChannel".into()));
        }
        // SAFETY: `descriptor` is a non-null FileDescriptor; `append` is its boolean field.
        let append = unsafe { env.get_field_unchecked(&descriptor, access.append, boolean) }?.z()?;
        sys::fd::describe_opened(borrow("fstat", fd)?, read, write, append)
    }
}

native! {
    /// `static native void close0(int fd)`: closes a descriptor the library owns.
    fn close0(_, fd: jint) {
        borrow("close", fd)?;
        // SAFETY: Java hands over a descriptor that the library created (pipe0) and will
        // never use again; dropping the OwnedFd closes it exactly once. Linux closes the
        // descriptor even when close reports EINTR, so there is nothing to retry.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
        Ok(())
    }
}
