package dev.zerocopy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Pipe;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/** How failures cross the JNI boundary: the errno table, and panics. */
class ErrorPathTest {
    @Test
    void rustPanicSurfacesAsJavaLangErrorAndTheJvmCarriesOn() throws Exception {
        for (int i = 0; i < 3; i++) {
            int depth = i;
            Error error = assertThrows(Error.class, () -> Native.panic0(depth));
            assertEquals(Error.class, error.getClass());
            assertTrue(error.getMessage().contains("native panic"), error.getMessage());
            assertTrue(error.getMessage().contains("depth " + depth), error.getMessage());
        }
        // The library still works after panics.
        Pipe pipe = Pipe.open();
        pipe.sink().write(ByteBuffer.wrap(new byte[] {9}));
        SocketChannel[] s = TestSupport.socketPair();
        assertEquals(1, ZeroCopy.splice(pipe.source(), s[0], 1));
    }

    @Test
    void brokenPipeIsAnErrnoExceptionNamingCallDescriptorsAndError() throws Exception {
        Pipe from = Pipe.open();
        Pipe to = Pipe.open();
        from.sink().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        to.source().close();
        ErrnoException e = assertThrows(ErrnoException.class, () -> ZeroCopy.splice(from.source(), to.sink(), 3));
        assertEquals(32, e.errno(), "EPIPE");
        assertTrue(e.getMessage().matches("splice\\(fd \\d+ -> fd \\d+\\): EPIPE: Broken pipe"), e.getMessage());
        assertTrue(e instanceof java.io.IOException);
    }

    @Test
    void badDescriptorNumberIsAClosedChannel() {
        // EBADF from the kernel (here: a number nobody opened) is ClosedChannelException.
        assertThrows(ClosedChannelException.class, () -> Native.splice0(1 << 20, -1, 1 << 20, -1, 1, 0));
        assertThrows(ClosedChannelException.class, () -> Native.splice0(-1, -1, 1, -1, 1, 0));
    }

    @Test
    void negativeCountReachingTheNativeSideIsAnIllegalArgument() throws Exception {
        Pipe pipe = Pipe.open();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Native.splice0(0, -1, 1, -1, -5, 0));
        assertTrue(e.getMessage().contains("-5"), e.getMessage());
        pipe.source().close();
        pipe.sink().close();
    }
}
