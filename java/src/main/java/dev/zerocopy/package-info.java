/**
 * Linux zero-copy I/O for the JVM: the kernel's sendfile, splice, tee, vmsplice,
 * copy_file_range and mmap behind one class, {@link dev.zerocopy.ZeroCopy}, with
 * java.nio's semantics wherever java.nio has the operation.
 *
 * <h2>The whole API</h2>
 * <table>
 * <caption>Every public entry point</caption>
 * <tr><th>call</th><th>kernel path</th><th>mirrors</th></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#transferTo ZeroCopy.transferTo(FileChannel src, position, count, WritableByteChannel target)}</td>
 *     <td>copy_file_range, sendfile or splice; a copy for channels without a descriptor</td>
 *     <td>{@link java.nio.channels.FileChannel#transferTo FileChannel.transferTo}</td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#transferFrom ZeroCopy.transferFrom(ReadableByteChannel src, FileChannel dst, position, count)}</td>
 *     <td>copy_file_range, or splice through a pipe</td>
 *     <td>{@link java.nio.channels.FileChannel#transferFrom FileChannel.transferFrom}</td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#sendfile ZeroCopy.sendfile(FileChannel src, position, count, WritableByteChannel target)}</td>
 *     <td>sendfile, raw</td><td>inside transferTo</td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#copyFileRange ZeroCopy.copyFileRange(src, srcPosition, dst, dstPosition, count)}</td>
 *     <td>copy_file_range (reflink where the file system can)</td><td>nothing public</td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#splice(java.nio.channels.Channel, java.nio.channels.Channel, long, SpliceFlag...)
 *     ZeroCopy.splice(in, out, count, flags...)}, and with file offsets</td>
 *     <td>splice; through a library pipe when neither side is a pipe</td><td>nothing</td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#tee ZeroCopy.tee(Pipe.SourceChannel in, Pipe.SinkChannel out, count, flags...)}</td>
 *     <td>tee</td><td>nothing</td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#vmsplice ZeroCopy.vmsplice(Pipe.SinkChannel out, ByteBuffer... srcs)}</td>
 *     <td>vmsplice of pages the library maps for the call (the buffers may be reused at once)</td><td>nothing</td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#pipe(int) ZeroCopy.pipe(capacity)}, {@link dev.zerocopy.ZeroCopy#pipe(java.nio.channels.Pipe)
 *     ZeroCopy.pipe(Pipe)} &rarr; {@link dev.zerocopy.KernelPipe}</td>
 *     <td>pipe + F_SETPIPE_SZ, FIONREAD</td><td>{@link java.nio.channels.Pipe#open() Pipe.open()}</td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#relay ZeroCopy.relay(ReadableByteChannel from, WritableByteChannel to)}
 *     &rarr; {@link dev.zerocopy.Relay}</td>
 *     <td>splice in and out of a pooled pipe, for proxies</td><td>nothing</td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#map ZeroCopy.map(FileChannel, MapMode, position, size, MapOption...)}
 *     &rarr; {@link dev.zerocopy.MappedRegion}</td>
 *     <td>mmap, munmap at {@code close()}, madvise, msync, mlock</td>
 *     <td>{@link java.nio.channels.FileChannel#map FileChannel.map}</td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#wrap ZeroCopy.wrap(FileDescriptor)}</td>
 *     <td>a raw descriptor as a channel; its {@code close()} never closes the descriptor</td><td></td></tr>
 * <tr><td>{@link dev.zerocopy.ZeroCopy#isAvailable ZeroCopy.isAvailable()},
 *     {@link dev.zerocopy.ZeroCopy#unavailabilityCause ZeroCopy.unavailabilityCause()}</td>
 *     <td>whether the native library loaded, and why not</td><td></td></tr>
 * </table>
 *
 * <p>Supporting types: {@link dev.zerocopy.SpliceFlag} (MOVE, NONBLOCK, MORE),
 * {@link dev.zerocopy.MapOption} (POPULATE, HUGE_PAGES, LOCKED), {@link dev.zerocopy.Advice}
 * (for {@link dev.zerocopy.MappedRegion#advise}), {@link dev.zerocopy.ErrnoException} (a
 * kernel error with its {@code errno()}).
 *
 * <h2>Rules every call keeps</h2>
 * <ul>
 * <li>The source comes first, the destination last, as in {@code FileChannel.transferTo}.
 * <li>Calls NIO lacks return -1 at end of file or stream and 0 only when a non-blocking
 *     channel would block: {@code splice}, {@code tee}, {@code sendfile},
 *     {@link dev.zerocopy.Relay#transfer()}.
 * <li>Channels are accepted wherever a descriptor is needed: {@code FileChannel},
 *     {@code SocketChannel}, {@code Pipe} ends, {@code KernelPipe} ends and wrapped
 *     {@code FileDescriptor}s, as source or target. A blocking call is ended by another
 *     thread's close (AsynchronousCloseException) or by interrupt (ClosedByInterruptException,
 *     both channels closed), as in NIO; a descriptor number is never used after its close.
 * <li>No kernel call sleeps: a socket or device in blocking mode is made non-blocking for
 *     the call and the library waits (parking a virtual thread) between calls. On JDK 21+ a
 *     {@code SocketChannel} in blocking mode used from a virtual thread is left with a
 *     non-blocking descriptor, the state the JDK's own first read or write from a virtual
 *     thread leaves it in; from a platform thread its descriptor's flags are restored after
 *     each call.
 * <li>Failures are {@link java.io.IOException}s; a bug in the native code is a
 *     {@link java.lang.Error}, never a JVM crash.
 * <li>The package is sealed in the jar: no class from another class-path entry can join it.
 * </ul>
 *
 * @since 0.1
 */
package dev.zerocopy;
