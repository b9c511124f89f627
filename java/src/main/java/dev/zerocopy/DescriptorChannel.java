package dev.zerocopy;

import java.io.FileDescriptor;
import java.nio.channels.Channel;

/**
 * A raw {@link FileDescriptor} seen as a {@link Channel}, so it can be passed wherever
 * ZeroCopy takes one. It does not own the descriptor: {@link #close()} does nothing, and
 * it is open while the descriptor is valid. Created by {@link ZeroCopy#wrap}.
 */
final class DescriptorChannel implements Channel {
    final FileDescriptor descriptor;

    DescriptorChannel(FileDescriptor descriptor) {
        this.descriptor = descriptor;
    }

    @Override
    public boolean isOpen() {
        return descriptor.valid();
    }

    @Override
    public void close() {
        // The descriptor belongs to whoever created it (a stream, a process, JNI code).
    }

    @Override
    public String toString() {
        return "DescriptorChannel[" + descriptor + "]";
    }
}
