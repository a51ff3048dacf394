package io.zentinel.sentinel.lua.worker.lua;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import com.google.protobuf.ByteString;
import io.zentinel.sentinel.lua.protocol.v1.Action;
import io.zentinel.sentinel.lua.protocol.v1.BodyChunk;
import io.zentinel.sentinel.lua.protocol.v1.BodyMutation;
import io.zentinel.sentinel.lua.protocol.v1.HeaderMutation;
import io.zentinel.sentinel.lua.protocol.v1.HookCall;
import io.zentinel.sentinel.lua.protocol.v1.Metadata;
import io.zentinel.sentinel.lua.protocol.v1.Verdict;
import io.zentinel.sentinel.lua.worker.sandbox.RunLimits;
import org.luaj.vm2.LuaString;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;

/**
 * What the scripts of one call decided so far: the decision, the header mutations, metadata,
 * tags, body mutation and {@code sentinel.ctx}, merged in run order. {@code sentinel.*}, the
 * request and response objects and returned tables write here; {@link #verdict()} reads it once
 * the chain is done. One call, one VM thread.
 */
final class CallState {
    /** Body of a block decided without status or body. */
    static final String DEFAULT_BLOCK_BODY = "Forbidden";
    static final int DEFAULT_BLOCK_STATUS = 403;
    static final int DEFAULT_REDIRECT_STATUS = 302;

    final HookCall call;
    final RunLimits limits;

    private Action action = Action.ALLOW;
    private int status;
    private String body;
    private final List<HeaderMutation> blockHeaders = new ArrayList<>();
    private String redirectUrl = "";
    private String decidedBy;

    final List<HeaderMutation> requestMutations = new ArrayList<>();
    final List<HeaderMutation> responseMutations = new ArrayList<>();
    private final List<Metadata> metadata = new ArrayList<>();
    private final Set<String> tags = new LinkedHashSet<>();
    private final List<String> ruleIds = new ArrayList<>();
    private BodyMutation bodyMutation;
    private boolean needsMore;
    final List<String> scriptsRun = new ArrayList<>();

    /** Name of the script running now. */
    String script = "";

    private HeaderView requestHeaders;
    private HeaderView responseHeaders;
    private LuaTable ctx;
    private LuaString chunkData;
    private LuaValue wholeBody;

    CallState(HookCall call, RunLimits limits) {
        this.call = call;
        this.limits = limits;
    }

    HeaderView requestHeaders() {
        if (requestHeaders == null) {
            requestHeaders = new HeaderView(call.getRequest().getHeaderList(), requestMutations);
        }
        return requestHeaders;
    }

    HeaderView responseHeaders() {
        if (responseHeaders == null) {
            responseHeaders = new HeaderView(call.getResponse().getHeaderList(), responseMutations);
        }
        return responseHeaders;
    }

    // ------------------------------------------------------------------ decision

    Action action() {
        return action;
    }

    /** Whether the chain ends after the current script: a block or redirect was decided. */
    boolean ended() {
        return action == Action.BLOCK || action == Action.REDIRECT;
    }

    void allow() {
        action = Action.ALLOW;
        status = 0;
        body = null;
        blockHeaders.clear();
        redirectUrl = "";
        decidedBy = null;
    }

    /** @param status HTTP status, or 0 for the default (403 with body {@value #DEFAULT_BLOCK_BODY} unless {@code body} is given) */
    void block(int status, String body) {
        action = Action.BLOCK;
        this.status = status == 0 ? DEFAULT_BLOCK_STATUS : status;
        this.body = body != null ? body : status == 0 ? DEFAULT_BLOCK_BODY : null;
        blockHeaders.clear();
        redirectUrl = "";
        decidedBy = script;
    }

    void blockHeader(String name, String value) {
        blockHeaders.add(HeaderMutation.newBuilder().setOp(HeaderMutation.Op.SET).setName(name).setValue(value).build());
    }

    void redirect(String url, int status) {
        action = Action.REDIRECT;
        this.status = status == 0 ? DEFAULT_REDIRECT_STATUS : status;
        this.redirectUrl = url;
        body = null;
        blockHeaders.clear();
        decidedBy = script;
    }

    // ------------------------------------------------------------------ the rest of the verdict

    void metadata(String key, String value) {
        metadata.add(Metadata.newBuilder().setKey(key).setValue(value).build());
    }

    void tag(String tag) {
        tags.add(tag);
    }

    void ruleId(String id) {
        ruleIds.add(id);
    }

    void replaceBody(byte[] data) {
        bodyMutation = BodyMutation.newBuilder().setData(ByteString.copyFrom(data))
                .setChunkIndex(call.getChunk().getChunkIndex()).build();
    }

    void keepBody() {
        bodyMutation = BodyMutation.newBuilder().setChunkIndex(call.getChunk().getChunkIndex()).build();
    }

    void needsMore(boolean value) {
        needsMore = value;
    }

    /** Whether the call carries a body chunk, so that body mutations mean something. */
    boolean hasBody() {
        return call.hasChunk();
    }

    /**
     * The whole body when this call's chunk completes it, else {@code null}: the chunk's
     * {@code body}, or its {@code data} when {@code body} is empty, as the supervisor sends a body
     * of one chunk (the whole body holds every chunk, so it is empty only when the data is too).
     */
    static ByteString wholeBodyBytes(HookCall call) {
        BodyChunk chunk = call.getChunk();
        if (!call.hasChunk() || !chunk.getComplete()) {
            return null;
        }
        return chunk.getBody().isEmpty() ? chunk.getData() : chunk.getBody();
    }

    /** This call's body chunk as a Lua string over the call's frame, made on first use. */
    LuaString chunkData() {
        if (chunkData == null) {
            chunkData = ByteSpan.of(call.getChunk().getData()).lua();
        }
        return chunkData;
    }

    /**
     * The whole body ({@link #wholeBodyBytes}) as a Lua string made on first use, the chunk's own
     * string when the body is that one chunk; nil when the chunk does not complete a body.
     */
    LuaValue wholeBody() {
        if (wholeBody == null) {
            ByteString bytes = wholeBodyBytes(call);
            if (bytes == null) {
                wholeBody = LuaValue.NIL;
            } else if (call.getChunk().getBody().isEmpty()) {
                wholeBody = chunkData(); // the body is this one chunk
            } else {
                wholeBody = ByteSpan.of(bytes).lua();
            }
        }
        return wholeBody;
    }

    /** {@code sentinel.ctx} of this call, decoded from the call on first use. */
    LuaTable ctx() {
        if (ctx == null) {
            ctx = CtxCodec.decode(call.getCtx().toByteArray());
        }
        return ctx;
    }

    /** The ctx after the call: unchanged (null) when no script looked at it or it encodes to the same bytes. */
    byte[] changedCtx() {
        if (ctx == null) {
            return null;
        }
        byte[] encoded = CtxCodec.encode(ctx, limits.maxCtxBytes());
        byte[] before = call.getCtx().isEmpty() ? new byte[] {'{', '}'} : call.getCtx().toByteArray();
        return Arrays.equals(encoded, before) ? null : encoded;
    }

    Verdict verdict() {
        Verdict.Builder v = Verdict.newBuilder().setAction(action);
        if (action == Action.BLOCK) {
            v.setStatus(status).addAllBlockHeaders(blockHeaders);
            if (body != null) {
                v.setBody(body);
            }
        } else if (action == Action.REDIRECT) {
            v.setStatus(status).setRedirectUrl(redirectUrl);
        }
        v.addAllRequestHeaders(requestMutations)
                .addAllResponseHeaders(responseMutations)
                .addAllMetadata(metadata)
                .addAllTags(tags)
                .addAllRuleIds(ruleIds)
                .setNeedsMore(needsMore);
        if (ruleIds.isEmpty() && decidedBy != null && action != Action.ALLOW) {
            v.addRuleIds(decidedBy);
        }
        if (bodyMutation != null) {
            v.setBodyMutation(bodyMutation);
        }
        return v.build();
    }
}
