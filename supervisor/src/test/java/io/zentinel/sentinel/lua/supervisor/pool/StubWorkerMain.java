package io.zentinel.sentinel.lua.supervisor.pool;

import io.zentinel.sentinel.lua.protocol.frame.FrameReader;
import io.zentinel.sentinel.lua.protocol.frame.FrameWriter;
import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.HookResult;
import io.zentinel.sentinel.lua.protocol.v1.SupervisorMessage;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import io.zentinel.sentinel.lua.protocol.v1.WorkerMessage;
import io.zentinel.sentinel.lua.protocol.v1.WorkerReady;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;

/**
 * A stand-in worker process for {@link WorkerHandleProcessTest}: speaks the pipe protocol without
 * Lua, so that the handle is tested against a real process (exit statuses, signals, pipes,
 * the JDK's reaper thread). Not the real worker; the lead's integration tests run that one.
 *
 * <p>Modes (first argument): {@code echo} answers every call with an allow verdict;
 * {@code hang-calls} never answers calls; {@code exit-on-call:<status>} exits with that status on
 * the first call; {@code stubborn} ignores Shutdown and blocks SIGTERM's shutdown forever.
 */
public final class StubWorkerMain {
    private StubWorkerMain() {
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        String mode = args[0];
        FrameWriter out = new FrameWriter(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)),
                WorkerHandle.PIPE_LIMITS);
        System.setOut(System.err);
        if (mode.equals("stubborn")) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        FrameReader in = new FrameReader(System.in, WorkerHandle.PIPE_LIMITS);
        byte[] frame;
        while ((frame = in.read()) != null) {
            SupervisorMessage message = SupervisorMessage.parseFrom(frame);
            switch (message.getKindCase()) {
                case INIT -> {
                    System.err.println("[INFO] stub - init for worker " + message.getInit().getWorkerId());
                    out.write(WorkerMessage.newBuilder().setReady(WorkerReady.newBuilder()
                            .setWorkerId(message.getInit().getWorkerId())).build().toByteArray());
                }
                case HEARTBEAT -> out.write(WorkerMessage.newBuilder().setHeartbeat(message.getHeartbeat())
                        .build().toByteArray());
                case CALL -> {
                    if (mode.startsWith("exit-on-call:")) {
                        System.exit(Integer.parseInt(mode.substring("exit-on-call:".length())));
                    }
                    if (!mode.equals("hang-calls")) {
                        out.write(WorkerMessage.newBuilder().setResult(HookResult.newBuilder()
                                .setCallId(message.getCall().getCallId())
                                .setVerdict(Verdict.newBuilder().setAction(Action.ALLOW).addTags("stub")))
                                .build().toByteArray());
                    }
                }
                case SHUTDOWN -> {
                    if (!mode.equals("stubborn")) {
                        System.exit(0);
                    }
                }
                case KIND_NOT_SET -> System.exit(65);
            }
        }
        if (mode.equals("stubborn")) {
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
