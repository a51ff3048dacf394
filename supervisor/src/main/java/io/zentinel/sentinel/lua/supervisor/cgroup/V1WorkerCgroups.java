package io.zentinel.sentinel.lua.supervisor.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * cgroup v1: a worker cgroup in each of the cpu, memory and pids hierarchies.
 * <ul>
 * <li>cpu: {@code cpu.cfs_period_us} 100000 and {@code cpu.cfs_quota_us} from workers.cpu-percent;
 *     the base cgroup's {@code cpu.shares} weighs as all workers' Lua VMs (see
 *     {@link CgroupLimits#shares});</li>
 * <li>memory: {@code memory.limit_in_bytes} from workers.memory-bytes, the same in
 *     {@code memory.memsw.limit_in_bytes} where swap is accounted, {@code memory.swappiness} 0;</li>
 * <li>pids: {@code pids.max} from workers.pids-max.</li>
 * </ul>
 */
final class V1WorkerCgroups extends HierarchyCgroups {

    V1WorkerCgroups(CgroupFs fs, CgroupLimits limits, List<Hierarchy> hierarchies) {
        super(fs, limits, hierarchies);
    }

    @Override
    public Mode mode() {
        return Mode.V1;
    }

    @Override
    void applyLimits(Path dir, Hierarchy h) throws IOException {
        if (h.has("cpu")) {
            fs.write(dir.resolve("cpu.cfs_period_us"), Long.toString(CgroupLimits.PERIOD_MICROS));
            fs.write(dir.resolve("cpu.cfs_quota_us"), Long.toString(limits.cpuQuotaMicros()));
        }
        if (h.has("memory")) {
            writeIfPresent(dir, "memory.swappiness", "0");
            fs.write(dir.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
            // memsw must be >= limit_in_bytes, so it is written after it
            writeIfPresent(dir, "memory.memsw.limit_in_bytes", Long.toString(limits.memoryBytes()));
        }
        if (h.has("pids")) {
            fs.write(dir.resolve("pids.max"), Long.toString(limits.pidsMax()));
        }
    }

    /** Weighs the base cgroup {@code h.base()}, just created, as all the workers' Lua VMs. */
    static void weighBase(CgroupFs fs, Hierarchy h, CgroupLimits limits) {
        if (h.has("cpu")) {
            writeWeight(fs, h.base().resolve("cpu.shares"), limits.baseCpuShares());
        }
    }

    @Override
    long readOomKills(Path dir) throws IOException {
        return readKey(dir.resolve("memory.oom_control"), "oom_kill");
    }
}
