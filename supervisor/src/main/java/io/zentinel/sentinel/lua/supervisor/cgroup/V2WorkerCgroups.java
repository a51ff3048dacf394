package io.zentinel.sentinel.lua.supervisor.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * cgroup v2: one worker cgroup in the delegated subtree, with {@code cpu.max} "&lt;quota&gt; 100000",
 * {@code memory.max}, {@code memory.high} (90% of it), {@code memory.swap.max} 0 and
 * {@code pids.max}.
 */
final class V2WorkerCgroups extends HierarchyCgroups {

    /** What the base directory enables for its worker children. */
    static final String CONTROLLERS = "+cpu +memory +pids";

    V2WorkerCgroups(CgroupFs fs, CgroupLimits limits, Hierarchy hierarchy) {
        super(fs, limits, List.of(hierarchy));
    }

    @Override
    public Mode mode() {
        return Mode.V2;
    }

    @Override
    void applyLimits(Path dir, Hierarchy h) throws IOException {
        fs.write(dir.resolve("cpu.max"), limits.cpuQuotaMicros() + " " + CgroupLimits.PERIOD_MICROS);
        fs.write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
        fs.write(dir.resolve("memory.high"), Long.toString(limits.memoryHighBytes()));
        writeIfPresent(dir, "memory.swap.max", "0");
        fs.write(dir.resolve("pids.max"), Long.toString(limits.pidsMax()));
    }

    @Override
    long readOomKills(Path dir) throws IOException {
        return readKey(dir.resolve("memory.events"), "oom_kill");
    }
}
