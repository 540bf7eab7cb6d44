package io.corio.blockio.nbd;

import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/** A plain blocking socket to the server, speaking through the codecs: for protocol tests. */
final class RawConnection implements AutoCloseable {
    final SocketChannel ch;
    final WireIn in;

    RawConnection(SocketAddress address) throws IOException {
        ch = SocketChannel.open(address);
        in = new WireIn(ch::read);
    }

    /** A TCP connection whose receive buffer is fixed at {@code receiveBuffer} bytes. */
    RawConnection(SocketAddress address, int receiveBuffer) throws IOException {
        ch = SocketChannel.open();
        ch.setOption(StandardSocketOptions.SO_RCVBUF, receiveBuffer); // before connect: no autotuning
        ch.connect(address);
        in = new WireIn(ch::read);
    }

    void send(ByteBuffer... bufs) throws IOException {
        for (ByteBuffer b : bufs) {
            ByteBuffer d = b.duplicate();
            while (d.hasRemaining()) {
                ch.write(d);
            }
        }
    }

    void send(Option o) throws IOException {
        send(HandshakeCodec.encode(o));
    }

    void send(Request r) throws IOException {
        send(TransmissionCodec.encode(r));
    }

    OptionReply reply() throws IOException {
        return HandshakeCodec.readOptionReply(in);
    }

    Reply transmissionReply() throws IOException {
        return TransmissionCodec.readReply(in, h -> -1);
    }

    /** Greeting and client flags; returns the server's handshake flags. */
    int greet(int clientFlags) throws IOException {
        int flags = HandshakeCodec.readGreeting(in);
        send(HandshakeCodec.clientFlags(clientFlags));
        return flags;
    }

    /** Whether the server has closed the connection (reads until end of stream). */
    boolean closedByServer() throws IOException {
        try {
            while (!in.atEnd()) {
                in.skip(in.buffered());
            }
            return true;
        } catch (IOException e) {
            return true; // reset by the server also counts
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
