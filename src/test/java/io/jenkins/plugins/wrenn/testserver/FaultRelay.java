package io.jenkins.plugins.wrenn.testserver;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP relay in front of the test server's Jetty, so that a connection can fail the way
 * real networks fail them, below anything Jetty would do on its own: a frozen connection stops
 * carrying the client's bytes to the server (so its pings are never answered) and is never closed
 * from the server's side, as behind a proxy whose upstream has silently died.
 */
final class FaultRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final int upstreamPort;
    /** Open connections by the local port of their socket to Jetty, which Jetty sees as the remote port. */
    private final Map<Integer, Connection> byUpstreamPort = new ConcurrentHashMap<>();

    FaultRelay(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptLoop, "wrenn-test-relay-accept");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /**
     * Freezes the connection whose socket to Jetty has this local port: what the client sends is
     * dropped from now on, and the end of the server side is not passed on. What the server has
     * already written still reaches the client.
     */
    void freeze(int upstreamLocalPort) {
        Connection c = byUpstreamPort.get(upstreamLocalPort);
        if (c == null) {
            throw new IllegalStateException("no relayed connection from port " + upstreamLocalPort);
        }
        c.frozen = true;
    }

    /** How many open connections are frozen. */
    int frozenConnections() {
        return (int) byUpstreamPort.values().stream().filter(c -> c.frozen).count();
    }

    /**
     * Cuts the connection whose socket to Jetty has this local port, both ways at once, as a
     * network that loses it: the client sees it end with nothing more.
     */
    void cut(int upstreamLocalPort) {
        Connection c = byUpstreamPort.get(upstreamLocalPort);
        if (c != null) {
            c.closeBoth();
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Connection c : byUpstreamPort.values()) {
            c.closeBoth();
        }
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            try {
                client.setTcpNoDelay(true);
                Socket upstream = new Socket();
                upstream.setTcpNoDelay(true);
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort));
                Connection c = new Connection(client, upstream);
                byUpstreamPort.put(upstream.getLocalPort(), c);
                c.start();
            } catch (IOException e) {
                // Jetty refused this one connection (it is stopping): the client sees it closed.
                try {
                    client.close();
                } catch (IOException ignored) {
                    // Already closed.
                }
            }
        }
    }

    private final class Connection {
        private final Socket client;
        private final Socket upstream;
        volatile boolean frozen;

        Connection(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            pump(client, upstream, true);
            pump(upstream, client, false);
        }

        private void pump(Socket from, Socket to, boolean fromClient) {
            Thread t = new Thread(
                    () -> {
                        byte[] buf = new byte[16 * 1024];
                        try {
                            InputStream in = from.getInputStream();
                            OutputStream out = to.getOutputStream();
                            int n;
                            while ((n = in.read(buf)) >= 0) {
                                if (fromClient && frozen) {
                                    continue;
                                }
                                out.write(buf, 0, n);
                                out.flush();
                            }
                        } catch (IOException e) {
                            // One side went away; the end is handled below.
                        }
                        if (!fromClient && frozen) {
                            // The server's side ended, but a frozen connection stays open for the client.
                            return;
                        }
                        closeBoth();
                    },
                    "wrenn-test-relay-" + (fromClient ? "up-" : "down-") + upstream.getLocalPort());
            t.setDaemon(true);
            t.start();
        }

        void closeBoth() {
            byUpstreamPort.remove(upstream.getLocalPort(), this);
            try {
                client.close();
            } catch (IOException e) {
                // Already closed.
            }
            try {
                upstream.close();
            } catch (IOException e) {
                // Already closed.
            }
        }
    }
}
