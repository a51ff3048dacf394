package io.zentinel.sentinel.lua.supervisor.admin;

import io.zentinel.sentinel.lua.protocol.v1.Hook;
import io.zentinel.sentinel.lua.protocol.v1.ScriptInfo;
import java.util.List;
import java.util.Locale;

/**
 * A loaded script as {@code status}, {@code reload} and {@code check} show it.
 *
 * @param file    file name inside the scripts directory
 * @param version empty when the script declares none
 * @param hooks   lower-case hook names, e.g. {@code request_headers}
 * @param paths   path patterns; empty means every path
 * @param methods HTTP methods; empty means every method
 */
public record ScriptView(String file, String name, String version, List<String> hooks, List<String> paths,
                         List<String> methods, int priority) {

    public ScriptView {
        hooks = List.copyOf(hooks);
        paths = List.copyOf(paths);
        methods = List.copyOf(methods);
    }

    public static ScriptView of(ScriptInfo info) {
        return new ScriptView(info.getFileName(), info.getName(), info.getVersion(),
                info.getHooksList().stream().map(ScriptView::hookName).toList(), info.getPathsList(),
                info.getMethodsList(), info.getPriority());
    }

    public static List<ScriptView> of(List<ScriptInfo> infos) {
        return infos.stream().map(ScriptView::of).toList();
    }

    /** {@code REQUEST_HEADERS -> request_headers}, the name scripts use in {@code -- hook:}. */
    public static String hookName(Hook hook) {
        return hook.name().toLowerCase(Locale.ROOT);
    }
}
