package io.zentinel.sentinel.lua.supervisor.cli;

import io.zentinel.sentinel.lua.supervisor.pool.ScriptSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code sentinel-lua-agent version}: the agent, Java and LuaJ versions. */
@Command(name = "version", mixinStandardHelpOptions = true, description = "Print the version and exit.")
public final class VersionCommand implements Runnable, IVersionProvider {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        for (String line : getVersion()) {
            spec.commandLine().getOut().println(line);
        }
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "sentinel-lua-agent " + ScriptSet.agentVersion(),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
            "Lua engine LuaJ 3.0.1 (Lua 5.2, with the Lua 5.4 operators)",
        };
    }
}
