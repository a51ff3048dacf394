package io.zentinel.sentinel.lua.worker.bench;

import io.zentinel.sentinel.lua.protocol.frame.FrameLimits;
import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.ScriptProblem;
import io.zentinel.sentinel.lua.protocol.v1.ScriptSource;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import io.zentinel.sentinel.lua.worker.lua.LuaVm;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import io.zentinel.sentinel.lua.worker.script.ScriptCatalog;
import io.zentinel.sentinel.lua.worker.script.ScriptSelector;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;

/**
 * The benchmark's in-process comparison: the agent's Lua sandbox behind the proxy's socket
 * framing, without the worker hop. One JVM accepts the proxy's connections, and {@code vms}
 * Lua VM threads ({@link LuaVm}, as in a worker) each take an event, decode it
 * ({@link InProcessCodec}), run the scripts and write the answer on the event's connection.
 *
 * <p>What it shares with the agent: the framing ({@code FrameReader}/{@code FrameWriter}), the
 * JSON work (jackson-core, see {@link InProcessCodec}), {@link LuaVm} with its sandbox, budgets,
 * script selection and bridge, the default limits. What it does not have: the supervisor's
 * process, the protobuf pipes and the worker processes and their cgroups, worker recycling,
 * the pool's leases and timeouts, the transaction store. So the difference between this and the
 * agent is what isolation costs.
 *
 * <p>usage: {@code InProcessAgent SOCKET SCRIPTS_DIR [VMS]} (8 VMs by default: the agent's
 * 2 workers x 4). Runs until killed.
 */
public final class InProcessAgent {
    private static final int QUEUE_CAPACITY = 1024;
    private static final HookResult ALLOW = HookResult.newBuilder().setVerdict(Verdict.getDefaultInstance()).build();

    private record Job(Connection connection, byte[] frame) {
    }

    private final InProcessCodec codec = new InProcessCodec();
    private final BlockingQueue<Job> jobs = new ArrayBlockingQueue<>(QUEUE_CAPACITY);

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: InProcessAgent SOCKET SCRIPTS_DIR [VMS]");
            System.exit(2);
        }
        int vms = args.length == 3 ? Integer.parseInt(args[2]) : 8;
        new InProcessAgent().run(Path.of(args[0]), Path.of(args[1]), vms);
    }

    /** Every {@code *.lua} file of {@code directory}, sorted by name, as the agent reads them. */
    static List<ScriptSource> scripts(Path directory) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "*.lua")) {
            stream.forEach(files::add);
        }
        files.sort(null);
        List<ScriptSource> sources = new ArrayList<>();
        for (Path file : files) {
            sources.add(ScriptSource.newBuilder().setFileName(file.getFileName().toString())
                    .setSource(Files.readString(file, StandardCharsets.UTF_8)).build());
        }
        return sources;
    }

    /**
     * Builds, warms up and loads a VM on the calling thread (LuaJ VMs stay on their thread), with
     * every script of {@code catalog}; fails when one does not load.
     */
    static LuaVm loadedVm(int id, ScriptCatalog catalog) {
        if (!catalog.problems().isEmpty()) {
            throw new IllegalStateException("scripts do not compile: " + catalog.problems());
        }
        LuaVm vm = new LuaVm(id, RunLimits.defaults(), catalog, "bench", false);
        vm.warmUp();
        List<ScriptSelector.Entry> entries = new ArrayList<>();
        for (LuaVm.ScriptLoad load : vm.load()) {
            if (!load.ok()) {
                ScriptProblem p = load.problem();
                throw new IllegalStateException(p.getFileName() + ":" + p.getLine() + ": " + p.getReason());
            }
            entries.add(new ScriptSelector.Entry(load.script(), load.hooks()));
        }
        vm.use(new ScriptSelector(entries));
        return vm;
    }

    private void run(Path socket, Path scriptsDir, int vms) throws Exception {
        ScriptCatalog catalog = ScriptCatalog.compile(scripts(scriptsDir));
        CountDownLatch ready = new CountDownLatch(vms);
        for (int i = 0; i < vms; i++) {
            int id = i;
            Thread.ofPlatform().name("lua-vm-" + i).daemon(true).start(() -> vmLoop(id, catalog, ready));
        }
        ready.await();
        Files.deleteIfExists(socket);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Files.deleteIfExists(socket);
                } catch (IOException e) {
                    // leaving: nothing more to do
                }
            }));
            System.err.println("in-process agent: ready on " + socket + " with " + vms + " Lua VMs, "
                    + catalog.scripts().size() + " script(s)");
            for (int n = 0; ; n++) {
                SocketChannel channel = server.accept();
                Connection connection = new Connection(channel);
                Thread.ofPlatform().name("conn-" + n).daemon(true).start(connection::readLoop);
            }
        }
    }

    private void vmLoop(int id, ScriptCatalog catalog, CountDownLatch ready) {
        LuaVm vm;
        try {
            vm = loadedVm(id, catalog);
        } catch (RuntimeException e) {
            System.err.println("in-process agent: " + e.getMessage());
            System.exit(78);
            return;
        }
        ready.countDown();
        try {
            while (true) {
                Job job = jobs.take();
                byte[] answer;
                try {
                    InProcessCodec.Event event = codec.decode(job.frame());
                    if (event.call() == null) {
                        answer = codec.answer(event.correlationId(), ALLOW);
                    } else {
                        HookResult result = vm.handle(event.call());
                        answer = codec.answer(event.correlationId(), result);
                    }
                } catch (IOException e) {
                    answer = codec.failOpen("", "malformed-event");
                }
                job.connection().write(answer);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One proxy connection: its reader hands events to the VM threads, which write the answers. */
    private final class Connection {
        private final SocketChannel channel;
        private final FrameWriter writer;

        Connection(SocketChannel channel) {
            this.channel = channel;
            this.writer = new FrameWriter(new BufferedOutputStream(new ChannelOutput(channel), 65536),
                    FrameLimits.PROXY_V2);
        }

        void write(byte[] answer) {
            try {
                writer.write((byte) InProcessCodec.AGENT_RESPONSE, answer);
            } catch (IOException e) {
                close();
            }
        }

        void readLoop() {
            FrameReader reader = new FrameReader(new BufferedInputStream(new ChannelInput(channel), 65536),
                    FrameLimits.PROXY_V2);
            try {
                byte[] frame;
                while ((frame = reader.read()) != null) {
                    int type = frame[0] & 0xFF;
                    if (type == InProcessCodec.HANDSHAKE_REQUEST) {
                        writer.write((byte) InProcessCodec.HANDSHAKE_RESPONSE, codec.handshakeResponse());
                    } else if (type >= 0x10 && type <= 0x17) {
                        jobs.put(new Job(this, frame));
                    }
                }
            } catch (IOException e) {
                // the proxy went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close();
            }
        }

        private void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    /**
     * Reads straight from the channel. {@code Channels.newInputStream} is not used: on a
     * selectable channel it may hold the channel's blocking lock while it waits for input, which
     * would keep the VM threads from writing answers on the same connection.
     */
    private static final class ChannelInput extends InputStream {
        private final SocketChannel channel;

        ChannelInput(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            return channel.read(ByteBuffer.wrap(b, off, len));
        }
    }

    /** Writes straight to the channel (see {@link ChannelInput}). */
    private static final class ChannelOutput extends OutputStream {
        private final SocketChannel channel;

        ChannelOutput(SocketChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }
    }
}
