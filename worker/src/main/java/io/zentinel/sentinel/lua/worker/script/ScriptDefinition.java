package io.zentinel.sentinel.lua.worker.script;

import org.luaj.vm2.Prototype;

/**
 * One script of the set that compiled and whose metadata is valid. The compiled chunk is
 * immutable and shared by every VM of the worker; each VM runs it in an environment of its own.
 *
 * @param index     position in {@link ScriptCatalog#scripts()} (run order), used by VMs to find
 *                  their environment of the script
 * @param fileName  name in the scripts directory
 * @param header    its metadata
 * @param prototype the compiled chunk
 */
public record ScriptDefinition(int index, String fileName, ScriptHeader header, Prototype prototype) {

    public String name() {
        return header.name();
    }
}
