/*
 * cfloor: the cost floor for the STT gateway benchmark (../../../shared/PROTOCOL.md §1, without inference).
 *
 * One thread, level-triggered epoll, non-blocking sockets, TCP_NODELAY. Every WebSocket frame is read
 * when it arrives (one read per readiness event, repeated only while a read fills the buffer), parsed,
 * unmasked into a per-session ring of one second of audio (50 x 640 B), counted and numbered. Once a
 * second per session (first at a random phase in [0, 1000] ms after the upgrade) a session that received
 * frames since its last answer gets one `partial` with the 14 keys of §1; inference fields are fixed
 * plausible values. Timers: a 1 ms timing wheel (2048 slots); epoll_wait sleeps until the next
 * non-empty slot.
 *
 *   PORT=8090 ./cfloor        (PORT=0: ephemeral) prints `listening port=N` once it listens on 127.0.0.1
 *
 * GET /ws/stt (RFC 6455 upgrade) -> 101; GET /health -> 200 {"ok":true}; GET /metrics -> 200
 * cfloor_frames_in_total / cfloor_sessions; other paths 404, non-GET 405, bad upgrade 400.
 *
 * Build: gcc -O2 -Wall -Wextra -o cfloor cfloor.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_BYTES 640
#define RING_FRAMES 50                 /* one second of audio */
#define FLUSH_INTERVAL_MS 1000
#define FLUSH_PHASE_JITTER_MS 1000
#define WHEEL_SLOTS 2048               /* > interval + jitter, in 1 ms ticks */
#define WHEEL_MASK (WHEEL_SLOTS - 1)
#define HTTP_MAX 8192                  /* request head limit */
#define TEXT_MAX 4096                  /* start message limit */
#define OUT_MAX 65536                  /* unsent bytes a session may hold before it is dropped */
#define READ_BUF 65536
#define MAX_EVENTS 1024

enum conn_state { ST_HTTP, ST_WS };

struct conn {
    int fd;
    enum conn_state state;
    /* HTTP phase */
    char *http;                        /* request head accumulator (freed on upgrade) */
    size_t http_len;
    /* WebSocket parser */
    uint8_t hdr[14];
    unsigned hdr_have, hdr_need;
    int in_payload;
    unsigned opcode, fin;
    uint8_t mask[4];
    uint64_t payload_len, payload_done;
    unsigned msg_opcode;               /* opcode of the data message being assembled (0 = none) */
    size_t msg_len;                    /* bytes of it so far */
    uint8_t ctrl[125];                 /* control frame payload */
    char *text;                        /* text message (start) */
    int started;
    /* audio */
    uint8_t *ring;                     /* RING_FRAMES x FRAME_BYTES, circular */
    unsigned ring_pos;
    uint64_t seq, answered_seq;
    /* flush timer (wheel entry) */
    int64_t deadline_ms;
    struct conn *tnext, *tprev;
    int on_wheel;
    /* outbound bytes the socket did not take */
    uint8_t *out;
    size_t out_len, out_off;
    int want_write, close_after_flush;
};

static int ep;
static int listen_fd;
static int reserve_fd = -1;
static uint64_t frames_in_total;
static uint64_t sessions;
static uint8_t read_buf[READ_BUF];
static struct conn *wheel[WHEEL_SLOTS];
static int64_t wheel_tick;             /* last tick processed */
static uint64_t timers;                /* entries on the wheel */
static uint64_t rng_state;
static uint64_t closes;                /* connections closed so far: tells a caller its conn is gone */

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t rng(void) {            /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* ---------------------------------------------------------------- SHA-1 and base64 (handshake only) */

static uint32_t rol(uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

static void sha1(const uint8_t *msg, size_t len, uint8_t out[20]) {
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    size_t total = ((len + 8) / 64 + 1) * 64;
    uint8_t block[64];
    for (size_t off = 0; off < total; off += 64) {
        for (size_t i = 0; i < 64; i++) {
            size_t p = off + i;
            uint8_t b;
            if (p < len) b = msg[p];
            else if (p == len) b = 0x80;
            else if (p >= total - 8) b = (uint8_t)(((uint64_t)len * 8) >> (8 * (total - 1 - p)));
            else b = 0;
            block[i] = b;
        }
        uint32_t w[80];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16
                 | (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
        for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            uint32_t t = rol(a, 5) + f + e + k + w[i];
            e = d; d = c; c = rol(b, 30); b = a; a = t;
        }
        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e;
    }
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24); out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8); out[4 * i + 3] = (uint8_t)h[i];
    }
}

static size_t base64(const uint8_t *in, size_t len, char *out) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < len ? in[i + 2] : 0);
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

/* ---------------------------------------------------------------- timing wheel */

static void wheel_add(struct conn *c, int64_t deadline_ms) {
    struct conn **slot = &wheel[deadline_ms & WHEEL_MASK];
    c->deadline_ms = deadline_ms;
    c->tprev = NULL;
    c->tnext = *slot;
    if (*slot) (*slot)->tprev = c;
    *slot = c;
    if (!c->on_wheel) timers++;
    c->on_wheel = 1;
}

static void wheel_remove(struct conn *c) {
    if (!c->on_wheel) return;
    if (c->tprev) c->tprev->tnext = c->tnext;
    else wheel[c->deadline_ms & WHEEL_MASK] = c->tnext;
    if (c->tnext) c->tnext->tprev = c->tprev;
    c->tnext = c->tprev = NULL;
    c->on_wheel = 0;
    timers--;
}

/* ---------------------------------------------------------------- connections and output */

static void conn_close(struct conn *c) {
    closes++;
    wheel_remove(c);
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->state == ST_WS) sessions--;
    free(c->http);
    free(c->text);
    if (c->ring) munmap(c->ring, RING_FRAMES * FRAME_BYTES);
    free(c->out);
    free(c);
}

static void set_want_write(struct conn *c, int want) {
    if (c->want_write == want) return;
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_write = want;
}

/* Writes or queues len bytes; returns -1 when the connection had to be closed (c is freed then). */
static int conn_send(struct conn *c, const void *buf, size_t len) {
    size_t done = 0;
    if (c->out_len == c->out_off) {
        while (done < len) {
            ssize_t n = write(c->fd, (const uint8_t *)buf + done, len - done);
            if (n > 0) { done += (size_t)n; continue; }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            conn_close(c);
            return -1;
        }
        if (done == len) return 0;
    }
    size_t pending = c->out_len - c->out_off, rest = len - done;
    if (pending + rest > OUT_MAX) { conn_close(c); return -1; }   /* a client that does not read */
    if (!c->out) {
        c->out = malloc(OUT_MAX);
        if (!c->out) { conn_close(c); return -1; }
    }
    if (c->out_off) { memmove(c->out, c->out + c->out_off, pending); c->out_len = pending; c->out_off = 0; }
    memcpy(c->out + c->out_len, (const uint8_t *)buf + done, rest);
    c->out_len += rest;
    set_want_write(c, 1);
    return 0;
}

static void conn_flush_out(struct conn *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n > 0) { c->out_off += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        conn_close(c);
        return;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    if (c->close_after_flush) { conn_close(c); return; }
    set_want_write(c, 0);
}

/* Sends one unmasked server frame; returns -1 when the connection was closed. */
static int ws_send(struct conn *c, unsigned opcode, const void *payload, size_t len) {
    uint8_t frame[10 + 1024];
    size_t h = 0;
    frame[h++] = (uint8_t)(0x80 | opcode);
    if (len < 126) frame[h++] = (uint8_t)len;
    else { frame[h++] = 126; frame[h++] = (uint8_t)(len >> 8); frame[h++] = (uint8_t)len; }
    if (len > sizeof frame - h) return -1;  /* never: every server message is small */
    memcpy(frame + h, payload, len);
    return conn_send(c, frame, h + len);
}

/* Close frame with a status code, then the socket. Always closes c. */
static void ws_fail(struct conn *c, unsigned code) {
    uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    if (ws_send(c, 0x8, p, 2) == 0) conn_close(c);
}

/* Plain HTTP response, then close (after the bytes left, if the socket did not take them at once). */
static void http_respond(struct conn *c, const char *status, const char *ctype, const char *body) {
    char buf[512];
    int n = snprintf(buf, sizeof buf, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     status, ctype, strlen(body), body);
    c->close_after_flush = 1;
    if (conn_send(c, buf, (size_t)n) == 0 && c->out_len == c->out_off) conn_close(c);
}

/* ---------------------------------------------------------------- flush (the once-a-second answer) */

static void flush_session(struct conn *c, int64_t now, int64_t *keep) {
    *keep = 1;
    if (c->seq > c->answered_seq) {
        uint64_t oldest = c->answered_seq + 1, newest = c->seq, frames = newest - oldest + 1;
        double lateness = (double)(now - c->deadline_ms * 1000000LL) / 1e6;
        if (lateness < 0) lateness = 0;
        char json[512];
        int n = snprintf(json, sizeof json,
                         "{\"type\":\"partial\",\"oldest_frame_seq\":%llu,\"newest_frame_seq\":%llu,\"frames\":%llu,"
                         "\"rms\":2425.5023191083533,\"zero_crossings\":7,\"checksum\":1745339397,\"samples\":%llu,"
                         "\"transcript\":\"now\",\"audio_bytes\":%llu,\"cpu_passes\":4,\"model_delay_ms\":75,"
                         "\"flush_lateness_ms\":%.3f,\"inflight_model_jobs\":0}",
                         (unsigned long long)oldest, (unsigned long long)newest, (unsigned long long)frames,
                         (unsigned long long)(frames * 320 * 4), (unsigned long long)(frames * FRAME_BYTES), lateness);
        c->answered_seq = newest;
        if (ws_send(c, 0x1, json, (size_t)n) < 0) { *keep = 0; return; }
    }
}

static void wheel_advance(int64_t now) {
    int64_t now_tick = now / 1000000LL;
    int64_t steps = now_tick - wheel_tick;
    if (steps <= 0) return;
    if (steps > WHEEL_SLOTS) steps = WHEEL_SLOTS;         /* a stall: visit every slot once */
    for (int64_t t = now_tick - steps + 1; t <= now_tick; t++) {
        struct conn *c = wheel[t & WHEEL_MASK];
        wheel[t & WHEEL_MASK] = NULL;
        while (c) {
            struct conn *next = c->tnext;
            c->on_wheel = 0;
            timers--;
            if (c->deadline_ms <= now_tick) {
                int64_t keep;
                int64_t due = c->deadline_ms;
                flush_session(c, now, &keep);
                if (keep) {
                    int64_t d = due + FLUSH_INTERVAL_MS;   /* on the schedule, skipping missed ones */
                    while (d <= now_tick) d += FLUSH_INTERVAL_MS;
                    wheel_add(c, d);
                }
            } else {
                wheel_add(c, c->deadline_ms);
            }
            c = next;
        }
    }
    wheel_tick = now_tick;
}

/* epoll_wait timeout: ms until the first non-empty wheel slot (-1 with no timers). One slot per ms, so with
   thousands of sessions the scan stops after a step or two; with a few it is a short walk over empty slots. */
static int wheel_timeout(int64_t now) {
    if (!timers) return -1;
    int64_t now_tick = now / 1000000LL;
    for (int64_t t = wheel_tick + 1; t <= wheel_tick + WHEEL_SLOTS; t++) {
        if (wheel[t & WHEEL_MASK]) return t <= now_tick ? 0 : (int)(t - now_tick);
    }
    return 1;
}

/* ---------------------------------------------------------------- HTTP */

static const char *header_value(const char *head, const char *name, size_t *vlen) {
    size_t nlen = strlen(name);
    const char *p = strstr(head, "\r\n");
    while (p && p[2] != '\r') {
        p += 2;
        if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1, *e = strstr(v, "\r\n");
            while (*v == ' ' || *v == '\t') v++;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
            *vlen = (size_t)(e - v);
            return v;
        }
        p = strstr(p, "\r\n");
    }
    return NULL;
}

static int value_has_token(const char *v, size_t len, const char *token) {
    char tmp[256];
    if (!v || len >= sizeof tmp) return 0;
    memcpy(tmp, v, len);
    tmp[len] = 0;
    return strcasestr(tmp, token) != NULL;
}

static void ws_input(struct conn *c, const uint8_t *p, size_t len);

static void http_input(struct conn *c, const uint8_t *p, size_t len) {
    if (!c->http) {
        c->http = malloc(HTTP_MAX + 1);
        if (!c->http) { conn_close(c); return; }
    }
    size_t take = len < HTTP_MAX - c->http_len ? len : HTTP_MAX - c->http_len;
    memcpy(c->http + c->http_len, p, take);
    c->http_len += take;
    c->http[c->http_len] = 0;
    char *end = strstr(c->http, "\r\n\r\n");
    if (!end) {
        if (c->http_len >= HTTP_MAX) http_respond(c, "431 Request Header Fields Too Large", "text/plain", "");
        return;
    }
    size_t head_len = (size_t)(end + 4 - c->http);
    end[2] = 0;                                   /* head ends after the last header's CRLF */
    char *sp1 = strchr(c->http, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2) { http_respond(c, "400 Bad Request", "text/plain", ""); return; }
    size_t plen = (size_t)(sp2 - sp1 - 1);
    const char *path = sp1 + 1, *q = memchr(path, '?', plen);
    if (q) plen = (size_t)(q - path);
    if (sp1 - c->http != 3 || memcmp(c->http, "GET", 3) != 0) {
        http_respond(c, "405 Method Not Allowed", "text/plain", "");
    } else if (plen == 7 && memcmp(path, "/health", 7) == 0) {
        http_respond(c, "200 OK", "application/json", "{\"ok\":true}");
    } else if (plen == 8 && memcmp(path, "/metrics", 8) == 0) {
        char body[160];
        snprintf(body, sizeof body, "cfloor_frames_in_total %llu\ncfloor_sessions %llu\n",
                 (unsigned long long)frames_in_total, (unsigned long long)sessions);
        http_respond(c, "200 OK", "text/plain; version=0.0.4", body);
    } else if (plen == 7 && memcmp(path, "/ws/stt", 7) == 0) {
        size_t klen = 0, vlen = 0, ulen = 0, clen = 0;
        const char *key = header_value(c->http, "Sec-WebSocket-Key", &klen);
        const char *ver = header_value(c->http, "Sec-WebSocket-Version", &vlen);
        const char *up = header_value(c->http, "Upgrade", &ulen);
        const char *conn = header_value(c->http, "Connection", &clen);
        if (!key || klen != 24 || !ver || vlen != 2 || memcmp(ver, "13", 2) != 0
            || !value_has_token(up, ulen, "websocket") || !value_has_token(conn, clen, "upgrade")) {
            http_respond(c, "400 Bad Request", "text/plain", "");
            return;
        }
        /* Its own mapping, so that a closed session's ring goes back to the kernel (RSS follows sessions). */
        c->ring = mmap(NULL, RING_FRAMES * FRAME_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (c->ring == MAP_FAILED) { c->ring = NULL; http_respond(c, "503 Service Unavailable", "text/plain", ""); return; }
        char cat[24 + 36 + 1], accept_key[32];
        uint8_t digest[20];
        memcpy(cat, key, 24);
        memcpy(cat + 24, "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", 36);
        sha1((const uint8_t *)cat, 60, digest);
        base64(digest, 20, accept_key);
        char resp[192];
        int n = snprintf(resp, sizeof resp,
                         "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: %s\r\n\r\n", accept_key);
        size_t extra = c->http_len - head_len;   /* frames sent right behind the request */
        uint8_t rest[HTTP_MAX];
        memcpy(rest, c->http + head_len, extra);
        free(c->http);
        c->http = NULL;
        c->http_len = 0;
        c->state = ST_WS;
        c->hdr_need = 2;
        sessions++;
        int64_t now = now_ns();
        wheel_add(c, now / 1000000LL + 1 + (int64_t)(rng() % (FLUSH_PHASE_JITTER_MS + 1)));
        if (conn_send(c, resp, (size_t)n) < 0) return;
        uint64_t before = closes;
        if (extra) ws_input(c, rest, extra);
        if (take < len && closes == before) ws_input(c, p + take, len - take);
    } else {
        http_respond(c, "404 Not Found", "text/plain", "");
    }
}

/* ---------------------------------------------------------------- WebSocket */

/* XORs n payload bytes into dst with the mask rotated to payload offset off. */
static void unmask(uint8_t *dst, const uint8_t *src, size_t n, const uint8_t mask[4], uint64_t off) {
    uint8_t m[8];
    for (int i = 0; i < 8; i++) m[i] = mask[(off + (uint64_t)i) & 3];
    uint64_t m64;
    memcpy(&m64, m, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, src + i, 8);
        v ^= m64;
        memcpy(dst + i, &v, 8);
    }
    for (; i < n; i++) dst[i] = src[i] ^ m[i & 7];
}

/* A whole frame's header is in c->hdr: validates it and prepares the payload. 0 = go on, -1 = c closed. */
static int frame_begin(struct conn *c) {
    uint8_t b0 = c->hdr[0], b1 = c->hdr[1];
    c->fin = b0 >> 7;
    c->opcode = b0 & 0x0F;
    if ((b0 & 0x70) || !(b1 & 0x80)) { ws_fail(c, 1002); return -1; }      /* reserved bits, unmasked */
    uint64_t len = b1 & 0x7F;
    unsigned h = 2;
    if (len == 126) { len = (uint64_t)c->hdr[2] << 8 | c->hdr[3]; h = 4; }
    else if (len == 127) { len = 0; for (int i = 0; i < 8; i++) len = len << 8 | c->hdr[2 + i]; h = 10; }
    memcpy(c->mask, c->hdr + h, 4);
    c->payload_len = len;
    c->payload_done = 0;
    switch (c->opcode) {
    case 0x8: case 0x9: case 0xA:                                         /* close, ping, pong */
        if (!c->fin || len > 125) { ws_fail(c, 1002); return -1; }
        break;
    case 0x1: case 0x2:
        if (c->msg_opcode) { ws_fail(c, 1002); return -1; }               /* new message inside one */
        c->msg_opcode = c->opcode;
        c->msg_len = 0;
        /* fall through */
    case 0x0:
        if (!c->msg_opcode) { ws_fail(c, 1002); return -1; }              /* continuation of nothing */
        if (c->msg_opcode == 0x2) {
            if (!c->started) { ws_fail(c, 1002); return -1; }             /* binary before start */
            if (c->msg_len + len > FRAME_BYTES) { ws_fail(c, 1003); return -1; }
        } else {
            if (c->started) { ws_fail(c, 1002); return -1; }              /* text after start */
            if (c->msg_len + len > TEXT_MAX) { ws_fail(c, 1009); return -1; }
            if (!c->text && !(c->text = malloc(TEXT_MAX))) { conn_close(c); return -1; }
        }
        break;
    default:
        ws_fail(c, 1002);
        return -1;
    }
    return 0;
}

/* The current frame's payload is complete. 0 = go on, -1 = c closed. */
static int frame_end(struct conn *c) {
    switch (c->opcode) {
    case 0x8:                                                             /* close: echo it, then close */
        if (ws_send(c, 0x8, c->ctrl, (size_t)c->payload_len) == 0) conn_close(c);
        return -1;
    case 0x9:
        return ws_send(c, 0xA, c->ctrl, (size_t)c->payload_len);
    case 0xA:
        return 0;
    default:
        if (!c->fin) return 0;
        if (c->msg_opcode == 0x2) {
            if (c->msg_len != FRAME_BYTES) { ws_fail(c, 1003); return -1; }
            c->seq++;
            frames_in_total++;
            c->ring_pos = c->ring_pos + 1 == RING_FRAMES ? 0 : c->ring_pos + 1;
        } else {
            c->started = 1;                   /* the start message: accepted as it is */
            free(c->text);
            c->text = NULL;
        }
        c->msg_opcode = 0;
        c->msg_len = 0;
        return 0;
    }
}

static void ws_input(struct conn *c, const uint8_t *p, size_t len) {
    size_t i = 0;
    while (i < len) {
        if (!c->in_payload) {
            while (c->hdr_have < c->hdr_need && i < len) c->hdr[c->hdr_have++] = p[i++];
            if (c->hdr_have < c->hdr_need) return;
            if (c->hdr_need == 2) {                   /* now we know the header's full length */
                unsigned l7 = c->hdr[1] & 0x7F;
                c->hdr_need = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + ((c->hdr[1] & 0x80) ? 4 : 0);
                if (c->hdr_need > 2) continue;
            }
            if (frame_begin(c) < 0) return;
            c->hdr_have = 0;
            c->hdr_need = 2;
            c->in_payload = 1;
        }
        uint64_t left = c->payload_len - c->payload_done;
        size_t n = (size_t)(left < len - i ? left : len - i);
        if (n) {
            uint8_t *dst;
            if (c->opcode >= 0x8) dst = c->ctrl + c->payload_done;
            else if (c->msg_opcode == 0x2) dst = c->ring + (size_t)c->ring_pos * FRAME_BYTES + c->msg_len;
            else dst = (uint8_t *)c->text + c->msg_len;
            unmask(dst, p + i, n, c->mask, c->payload_done);
            c->payload_done += n;
            if (c->opcode < 0x8) c->msg_len += n;
            i += n;
        }
        if (c->payload_done == c->payload_len) {
            c->in_payload = 0;
            if (frame_end(c) < 0) return;
        }
    }
}

/* ---------------------------------------------------------------- event loop */

static void on_readable(struct conn *c) {
    for (;;) {
        ssize_t n = read(c->fd, read_buf, sizeof read_buf);
        if (n > 0) {
            if (c->state == ST_HTTP) {
                /* A request head fits one read; an answered request's further bytes are dropped. */
                if (!c->close_after_flush) http_input(c, read_buf, (size_t)n);
                return;
            }
            uint64_t before = closes;                 /* the handlers may close (and free) c */
            ws_input(c, read_buf, (size_t)n);
            if (closes != before || (size_t)n < sizeof read_buf) return;   /* a short read: drained */
            continue;
        }
        if (n == 0) { conn_close(c); return; }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        conn_close(c);
        return;
    }
}

static void on_accept(void) {
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if ((errno == EMFILE || errno == ENFILE) && reserve_fd >= 0) {   /* shed one, don't spin */
                close(reserve_fd);
                fd = accept(listen_fd, NULL, NULL);
                if (fd >= 0) close(fd);
                reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                fprintf(stderr, "cfloor: out of file descriptors, connection refused\n");
                continue;
            }
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c) { close(fd); continue; }
        c->fd = fd;
        c->state = ST_HTTP;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { close(fd); free(c); continue; }
    }
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    const char *port_env = getenv("PORT");
    long port = 8090;
    if (port_env && *port_env) {
        char *end;
        port = strtol(port_env, &end, 10);
        if (*end || port < 0 || port > 65535) { fprintf(stderr, "cfloor: PORT must be 0..65535, got '%s'\n", port_env); return 2; }
    }
    rng_state = (uint64_t)now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
    if (!rng_state) rng_state = 1;

    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listen_fd, 4096) < 0) {
        perror("cfloor: bind/listen");
        return 1;
    }
    socklen_t alen = sizeof addr;
    getsockname(listen_fd, (struct sockaddr *)&addr, &alen);
    reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &lev);
    wheel_tick = now_ns() / 1000000LL;

    printf("cfloor: fd limit %llu, ring %d B per session\nlistening port=%u\n",
           (unsigned long long)rl.rlim_cur, RING_FRAMES * FRAME_BYTES, ntohs(addr.sin_port));
    fflush(stdout);

    struct epoll_event evs[MAX_EVENTS];
    for (;;) {
        int n = epoll_wait(ep, evs, MAX_EVENTS, wheel_timeout(now_ns()));
        if (n < 0 && errno != EINTR) { perror("cfloor: epoll_wait"); return 1; }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) { on_accept(); continue; }
            uint32_t e = evs[i].events;
            if (e & EPOLLOUT) {
                uint64_t before = closes;
                conn_flush_out(c);
                if (closes != before) continue;
            }
            if (e & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
        }
        wheel_advance(now_ns());
    }
}
