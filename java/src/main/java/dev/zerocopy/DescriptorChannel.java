package dev.zerocopy;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;

/**
 * A raw {@link FileDescriptor} seen as a {@link ByteChannel}, so it can be passed wherever
 * ZeroCopy takes a channel, as source or target. It does not own the descriptor:
 * {@link #close()} marks this channel closed and leaves the descriptor open. Created by
 * {@link ZeroCopy#wrap}.
 */
final class DescriptorChannel implements ByteChannel {
    final FileDescriptor descriptor;
    private volatile boolean closed;
    /** read/write through the JDK's own channels over the same descriptor; never closed. */
    private FileChannel reader;
    private FileChannel writer;

    DescriptorChannel(FileDescriptor descriptor) {
        this.descriptor = descriptor;
    }

    @Override
    public boolean isOpen() {
        return !closed && descriptor.valid();
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        FileChannel channel;
        synchronized (this) {
            if (!isOpen()) {
                throw new ClosedChannelException();
            }
            if (reader == null) {
                reader = new FileInputStream(descriptor).getChannel();
            }
            channel = reader;
        }
        return channel.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        FileChannel channel;
        synchronized (this) {
            if (!isOpen()) {
                throw new ClosedChannelException();
            }
            if (writer == null) {
                writer = new FileOutputStream(descriptor).getChannel();
            }
            channel = writer;
        }
        return channel.write(src);
    }

    /**
     * Marks this channel closed, after any kernel call of the library in progress on the
     * descriptor (they hold the descriptor as their close lock). The descriptor stays open:
     * it belongs to whoever created it (a stream, a process, JNI code).
     */
    @Override
    public void close() {
        synchronized (descriptor) {
            closed = true;
        }
    }

    @Override
    public String toString() {
        return "DescriptorChannel[" + descriptor + (closed ? ", closed]" : "]");
    }
}
