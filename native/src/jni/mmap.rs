//! Exports for `sys::mmap`, used by `MappedRegion`: map, unmap, placeholder, advice, sync, lock, load, and
//! writes from a mapping. Addresses are Java longs that `map0` returned; the Java side
//! never passes an address it did not get from `map0` for a region it still owns, and
//! `regions` refuses any other before the address is used.

use jni::objects::JObject;
use jni::sys::{jboolean, jint, jlong};

use super::{borrow, regions, to_usize};
use crate::error::{Result, count_or_would_block};
use crate::sys;
use crate::sys::mmap::Mode;

fn to_u64(what: &str, value: jlong) -> Result<u64> {
    Ok(to_usize(what, value)? as u64)
}

native! {
    /// `static native int pageSize0()`.
    fn pageSize0(_) -> jint {
        Ok(sys::mmap::page_size() as jint)
    }
}

native! {
    /// `static native long map0(int fd, long offset, long length, int mode, boolean
    /// populate)`: the address of a new mapping; `offset` is page-aligned, `mode` is 0
    /// READ_ONLY, 1 READ_WRITE, 2 PRIVATE.
    fn map0(_, fd: jint, offset: jlong, length: jlong, mode: jint, populate: jboolean) -> jlong {
        let file = borrow("mmap", fd)?;
        let (offset, length) = (to_u64("offset", offset)?, to_usize("length", length)?);
        let addr = sys::mmap::map(file, offset, length, Mode::from_code(mode)?, populate)?;
        regions::add(addr, length);
        Ok(addr as jlong)
    }
}

native! {
    /// `static native void unmap0(long address, long length)`.
    fn unmap0(_, address: jlong, length: jlong) {
        let length = to_usize("length", length)?;
        let address = regions::remove(address, length)?;
        // SAFETY: Java passes a whole mapping from map0 exactly once, after its last use
        // (no buffer view of it is reachable and no native call on it is running).
        unsafe { sys::mmap::unmap(address, length) }
    }
}

native! {
    /// `static native void placeholder0(long address, long length, boolean writable)`.
    fn placeholder0(_, address: jlong, length: jlong, writable: jboolean) {
        let length = to_usize("length", length)?;
        let address = regions::check_whole(address, length)?;
        // SAFETY: Java passes a whole mapping from map0 that it is closing; views of it may
        // still be read or written, which the anonymous pages are for.
        unsafe { sys::mmap::replace_with_placeholder(address, length, writable) }
    }
}

native! {
    /// `static native void advise0(long address, long length, int advice)`: advice is the
    /// `Advice` ordinal.
    fn advise0(_, address: jlong, length: jlong, advice: jint) {
        let (length, advice) = (
            to_usize("length", length)?,
            sys::mmap::advice_from_code(advice)?,
        );
        let address = regions::check(address, length)?;
        // SAFETY: Java passes a range inside an open region; the user asked for the advice.
        unsafe { sys::mmap::advise(address, length, advice) }
    }
}

native! {
    /// `static native void force0(long address, long length)`: msync(MS_SYNC).
    fn force0(_, address: jlong, length: jlong) {
        let length = to_usize("length", length)?;
        let address = regions::check(address, length)?;
        // SAFETY: Java passes a page-aligned range inside an open region.
        unsafe { sys::mmap::sync(address, length) }
    }
}

native! {
    /// `static native void lock0(long address, long length, boolean locked)`: mlock/munlock.
    fn lock0(_, address: jlong, length: jlong, locked: jboolean) {
        let length = to_usize("length", length)?;
        let address = regions::check(address, length)?;
        // SAFETY: Java passes a range inside an open region.
        unsafe { sys::mmap::lock(address, length, locked) }
    }
}

native! {
    /// `static native void load0(long address, long length)`: MADV_POPULATE_READ.
    fn load0(_, address: jlong, length: jlong) {
        let length = to_usize("length", length)?;
        let address = regions::check(address, length)?;
        // SAFETY: Java passes a page-aligned range inside an open region.
        unsafe { sys::mmap::populate(address, length) }
    }
}

native! {
    /// `static native long fileSize0(int fd)`: fstat's st_size.
    fn fileSize0(_, fd: jint) -> jlong {
        Ok(sys::mmap::file_size(borrow("fstat", fd)?)? as jlong)
    }
}

native! {
    /// `static native void extend0(int fd, long length)`: grows the file to `length` if
    /// shorter.
    fn extend0(_, fd: jint, length: jlong) {
        sys::mmap::extend(borrow("ftruncate", fd)?, to_u64("length", length)?)
    }
}

native! {
    /// `static native long writeFrom0(int fd, long address, long count, boolean socket)`: one
    /// write(2) (send(2) with MSG_DONTWAIT for a socket) from mapped memory; bytes written or
    /// `WOULD_BLOCK`.
    fn writeFrom0(_, fd: jint, address: jlong, count: jlong, socket: jboolean) -> jlong {
        let (out, count) = (borrow("write", fd)?, to_usize("count", count)?);
        let address = regions::check(address, count)?;
        // SAFETY: Java passes a range inside a region it keeps mapped (pinned) for the call;
        // the kernel reads it and reports EFAULT for pages it cannot read.
        let written = unsafe {
            if socket {
                sys::mmap::send_from(out, address, count)
            } else {
                sys::mmap::write_from(out, address, count)
            }
        };
        count_or_would_block(written)
    }
}

native! {
    /// `static native ByteBuffer newBuffer0(long address, int length)`: a direct ByteBuffer
    /// over mapped memory (position 0, limit = capacity = length); it owns nothing.
    fn newBuffer0(env, address: jlong, length: jint) -> JObject<'local> {
        let length = to_usize("length", length as jlong)?;
        let address = regions::check(address, length)?;
        // SAFETY: the range is inside a mapping that stays mapped (the file, then an
        // anonymous placeholder) until the Java side's Cleaner sees this buffer and every
        // buffer derived from it unreachable.
        let buffer = unsafe { env.new_direct_byte_buffer(address as *mut u8, length) }?;
        Ok(buffer.into())
    }
}
