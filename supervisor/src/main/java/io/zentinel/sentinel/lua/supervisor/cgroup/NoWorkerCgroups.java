package io.zentinel.sentinel.lua.supervisor.cgroup;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** No usable cgroups: workers are started as they are, with an empty command prefix. */
final class NoWorkerCgroups implements WorkerCgroups {
    private final String reason;

    NoWorkerCgroups(String reason) {
        this.reason = reason;
    }

    @Override
    public Mode mode() {
        return Mode.NONE;
    }

    @Override
    public String description() {
        return "none: " + reason;
    }

    @Override
    public WorkerCgroup create(int workerId) {
        return new WorkerCgroup() {
            @Override
            public int workerId() {
                return workerId;
            }

            @Override
            public Path path() {
                return null;
            }

            @Override
            public List<Path> paths() {
                return List.of();
            }

            @Override
            public List<String> placeCommandPrefix() {
                return List.of();
            }

            @Override
            public long throttledCount() {
                return -1;
            }

            @Override
            public long oomKills() {
                return -1;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public Optional<WorkerCgroup> find(int workerId) {
        return Optional.empty();
    }

    @Override
    public void close() {
    }
}
