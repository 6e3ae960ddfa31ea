#include <string.h>

#include "metrics.h"

/*
 * The first 144 rows are the families upstream Octavia serves with
 * HAProxy 2.6, same names, types and order; their sources are the
 * "show info" fields and "show stat" columns HAProxy's own exporter reads.
 */
const struct metric_family metric_families[FAM__COUNT] = {
	[FAM_LOADBALANCER_CPU] = {
	    .name = "loadbalancer_cpu", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_COMPUTED_CPU,
	    .help = "CPU busy percentage of the amphora since the previous scrape" },
	[FAM_LOADBALANCER_MEMORY] = {
	    .name = "loadbalancer_memory", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_COMPUTED_MEMORY,
	    .help = "Memory used percentage of the amphora" },
	[FAM_MEMORY_POOL_FAILURES_TOTAL] = {
	    .name = "memory_pool_failures_total", .type = MT_COUNTER,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_POOLFAILED,
	    .help = "Failed memory pool allocations" },
	[FAM_LOADBALANCER_MAX_CONNECTIONS] = {
	    .name = "loadbalancer_max_connections", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_MAXCONN,
	    .help = "Configured maximum of concurrent connections" },
	[FAM_LOADBALANCER_CURRENT_CONNECTIONS] = {
	    .name = "loadbalancer_current_connections", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_CURRCONNS,
	    .help = "Connections open now" },
	[FAM_LOADBALANCER_CONNECTIONS_TOTAL] = {
	    .name = "loadbalancer_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_CUMCONNS,
	    .help = "Connections accepted since start" },
	[FAM_LOADBALANCER_REQUESTS_TOTAL] = {
	    .name = "loadbalancer_requests_total", .type = MT_COUNTER,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_CUMREQ,
	    .help = "Requests received since start" },
	[FAM_LOADBALANCER_MAX_SSL_CONNECTIONS] = {
	    .name = "loadbalancer_max_ssl_connections", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_MAXSSLCONNS,
	    .help = "Configured maximum of concurrent TLS connections" },
	[FAM_LOADBALANCER_CURRENT_SSL_CONNECTIONS] = {
	    .name = "loadbalancer_current_ssl_connections", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_CURRSSLCONNS,
	    .help = "TLS connections open now" },
	[FAM_LOADBALANCER_SSL_CONNECTIONS_TOTAL] = {
	    .name = "loadbalancer_ssl_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_CUMSSLCONNS,
	    .help = "TLS connections accepted since start" },
	[FAM_LOADBALANCER_CURRENT_CONNECTION_RATE] = {
	    .name = "loadbalancer_current_connection_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_CONNRATE,
	    .help = "Connections per second now" },
	[FAM_LOADBALANCER_LIMIT_CONNECTION_RATE] = {
	    .name = "loadbalancer_limit_connection_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_CONNRATELIMIT,
	    .help = "Configured limit of connections per second" },
	[FAM_LOADBALANCER_MAX_CONNECTION_RATE] = {
	    .name = "loadbalancer_max_connection_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_MAXCONNRATE,
	    .help = "Most connections in one second" },
	[FAM_LOADBALANCER_CURRENT_SESSION_RATE] = {
	    .name = "loadbalancer_current_session_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SESSRATE,
	    .help = "Sessions per second now" },
	[FAM_LOADBALANCER_LIMIT_SESSION_RATE] = {
	    .name = "loadbalancer_limit_session_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SESSRATELIMIT,
	    .help = "Configured limit of sessions per second" },
	[FAM_LOADBALANCER_MAX_SESSION_RATE] = {
	    .name = "loadbalancer_max_session_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_MAXSESSRATE,
	    .help = "Most sessions in one second" },
	[FAM_LOADBALANCER_CURRENT_SSL_RATE] = {
	    .name = "loadbalancer_current_ssl_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SSLRATE,
	    .help = "TLS sessions per second now" },
	[FAM_LOADBALANCER_LIMIT_SSL_RATE] = {
	    .name = "loadbalancer_limit_ssl_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SSLRATELIMIT,
	    .help = "Configured limit of TLS sessions per second" },
	[FAM_LOADBALANCER_MAX_SSL_RATE] = {
	    .name = "loadbalancer_max_ssl_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_MAXSSLRATE,
	    .help = "Most TLS sessions in one second" },
	[FAM_LOADBALANCER_CURRENT_FRONTEND_SSL_KEY_RATE] = {
	    .name = "loadbalancer_current_frontend_ssl_key_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SSLFRONTENDKEYRATE,
	    .help = "TLS key computations per second on listeners now" },
	[FAM_LOADBALANCER_MAX_FRONTEND_SSL_KEY_RATE] = {
	    .name = "loadbalancer_max_frontend_ssl_key_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SSLFRONTENDMAXKEYRATE,
	    .help = "Most TLS key computations in one second on listeners" },
	[FAM_LOADBALANCER_FRONTEND_SSL_REUSE] = {
	    .name = "loadbalancer_frontend_ssl_reuse", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SSLFRONTENDSESSIONREUSE_PCT,
	    .help = "Percentage of TLS sessions reused on listeners" },
	[FAM_LOADBALANCER_CURRENT_BACKEND_SSL_KEY_RATE] = {
	    .name = "loadbalancer_current_backend_ssl_key_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SSLBACKENDKEYRATE,
	    .help = "TLS key computations per second towards members now" },
	[FAM_LOADBALANCER_MAX_BACKEND_SSL_KEY_RATE] = {
	    .name = "loadbalancer_max_backend_ssl_key_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SSLBACKENDMAXKEYRATE,
	    .help = "Most TLS key computations in one second towards members" },
	[FAM_LOADBALANCER_SSL_CACHE_LOOKUPS_TOTAL] = {
	    .name = "loadbalancer_ssl_cache_lookups_total", .type = MT_COUNTER,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SSLCACHELOOKUPS,
	    .help = "TLS session cache lookups" },
	[FAM_LOADBALANCER_SSL_CACHE_MISSES_TOTAL] = {
	    .name = "loadbalancer_ssl_cache_misses_total", .type = MT_COUNTER,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_SSLCACHEMISSES,
	    .help = "TLS session cache misses" },
	[FAM_LOADBALANCER_HTTP_COMP_BYTES_IN_TOTAL] = {
	    .name = "loadbalancer_http_comp_bytes_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_COMPRESSBPSIN,
	    .help = "HTTP compressor input in bytes per second" },
	[FAM_LOADBALANCER_HTTP_COMP_BYTES_OUT_TOTAL] = {
	    .name = "loadbalancer_http_comp_bytes_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_COMPRESSBPSOUT,
	    .help = "HTTP compressor output in bytes per second" },
	[FAM_LOADBALANCER_LIMIT_HTTP_COMP] = {
	    .name = "loadbalancer_limit_http_comp", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_COMPRESSBPSRATELIM,
	    .help = "Configured limit of HTTP compressor input in bytes per second" },
	[FAM_LOADBALANCER_LISTENERS] = {
	    .name = "loadbalancer_listeners", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_LISTENERS,
	    .help = "Listening sockets" },
	[FAM_LOADBALANCER_DROPPED_LOGS_TOTAL] = {
	    .name = "loadbalancer_dropped_logs_total", .type = MT_COUNTER,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_DROPPEDLOGS,
	    .help = "Log messages dropped" },
	[FAM_MEMORY_POOL_ALLOCATED_BYTES] = {
	    .name = "memory_pool_allocated_bytes", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_POOLALLOC_BYTES,
	    .help = "Bytes allocated in memory pools" },
	[FAM_MEMORY_POOL_USED_BYTES] = {
	    .name = "memory_pool_used_bytes", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_INT, .src = INFO_POOLUSED_BYTES,
	    .help = "Bytes in use in memory pools" },
	[FAM_LISTENER_CURRENT_SESSIONS] = {
	    .name = "listener_current_sessions", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_SCUR,
	    .help = "Sessions open now" },
	[FAM_LISTENER_MAX_SESSIONS] = {
	    .name = "listener_max_sessions", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_SMAX,
	    .help = "Most sessions ever open at once" },
	[FAM_LISTENER_LIMIT_SESSIONS] = {
	    .name = "listener_limit_sessions", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_SLIM,
	    .help = "Configured session limit" },
	[FAM_LISTENER_SESSIONS_TOTAL] = {
	    .name = "listener_sessions_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_STOT,
	    .help = "Sessions handled since start" },
	[FAM_LISTENER_BYTES_IN_TOTAL] = {
	    .name = "listener_bytes_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_BIN,
	    .help = "Bytes received" },
	[FAM_LISTENER_BYTES_OUT_TOTAL] = {
	    .name = "listener_bytes_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_BOUT,
	    .help = "Bytes sent" },
	[FAM_LISTENER_REQUESTS_DENIED_TOTAL] = {
	    .name = "listener_requests_denied_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_DREQ,
	    .help = "Requests refused by security rules" },
	[FAM_LISTENER_RESPONSES_DENIED_TOTAL] = {
	    .name = "listener_responses_denied_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_DRESP,
	    .help = "Responses refused by security rules" },
	[FAM_LISTENER_REQUEST_ERRORS_TOTAL] = {
	    .name = "listener_request_errors_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_EREQ,
	    .help = "Requests that failed with an error" },
	[FAM_LISTENER_STATUS] = {
	    .name = "listener_status", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_STATUS, .src = COL_STATUS,
	    .help = "Current state, one series per state set to 1 on the current one" },
	[FAM_LISTENER_LIMIT_SESSION_RATE] = {
	    .name = "listener_limit_session_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_RATE_LIM,
	    .help = "Configured limit of new sessions per second" },
	[FAM_LISTENER_MAX_SESSION_RATE] = {
	    .name = "listener_max_session_rate", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_RATE_MAX,
	    .help = "Most new sessions in one second" },
	[FAM_LISTENER_HTTP_RESPONSES_TOTAL] = {
	    .name = "listener_http_responses_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_HRSP, .src = COL_HRSP_1XX, .flags = MF_HTTP,
	    .help = "HTTP responses by status class" },
	[FAM_LISTENER_HTTP_REQUESTS_RATE_MAX] = {
	    .name = "listener_http_requests_rate_max", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_REQ_RATE_MAX, .flags = MF_HTTP,
	    .help = "Most HTTP requests in one second" },
	[FAM_LISTENER_HTTP_REQUESTS_TOTAL] = {
	    .name = "listener_http_requests_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_REQ_TOT, .flags = MF_HTTP,
	    .help = "HTTP requests received" },
	[FAM_LISTENER_HTTP_COMP_BYTES_IN_TOTAL] = {
	    .name = "listener_http_comp_bytes_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_COMP_IN, .flags = MF_HTTP,
	    .help = "HTTP bytes fed to the compressor" },
	[FAM_LISTENER_HTTP_COMP_BYTES_OUT_TOTAL] = {
	    .name = "listener_http_comp_bytes_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_COMP_OUT, .flags = MF_HTTP,
	    .help = "HTTP bytes produced by the compressor" },
	[FAM_LISTENER_HTTP_COMP_BYTES_BYPASSED_TOTAL] = {
	    .name = "listener_http_comp_bytes_bypassed_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_COMP_BYP, .flags = MF_HTTP,
	    .help = "HTTP bytes that bypassed the compressor" },
	[FAM_LISTENER_HTTP_COMP_RESPONSES_TOTAL] = {
	    .name = "listener_http_comp_responses_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_COMP_RSP, .flags = MF_HTTP,
	    .help = "HTTP responses that were compressed" },
	[FAM_LISTENER_CONNECTIONS_RATE_MAX] = {
	    .name = "listener_connections_rate_max", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_CONN_RATE_MAX,
	    .help = "Most new connections in one second" },
	[FAM_LISTENER_CONNECTIONS_TOTAL] = {
	    .name = "listener_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_CONN_TOT,
	    .help = "Connections accepted" },
	[FAM_LISTENER_INTERCEPTED_REQUESTS_TOTAL] = {
	    .name = "listener_intercepted_requests_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_INTERCEPTED, .flags = MF_HTTP,
	    .help = "Requests answered by HAProxy itself" },
	[FAM_LISTENER_DENIED_CONNECTIONS_TOTAL] = {
	    .name = "listener_denied_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_DCON,
	    .help = "Connections refused by tcp-request connection rules" },
	[FAM_LISTENER_DENIED_SESSIONS_TOTAL] = {
	    .name = "listener_denied_sessions_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_DSES,
	    .help = "Sessions refused by tcp-request session rules" },
	[FAM_LISTENER_FAILED_HEADER_REWRITING_TOTAL] = {
	    .name = "listener_failed_header_rewriting_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_WREW,
	    .help = "Failed header rewrites" },
	[FAM_LISTENER_HTTP_CACHE_LOOKUPS_TOTAL] = {
	    .name = "listener_http_cache_lookups_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_CACHE_LOOKUPS, .flags = MF_HTTP,
	    .help = "HTTP cache lookups" },
	[FAM_LISTENER_HTTP_CACHE_HITS_TOTAL] = {
	    .name = "listener_http_cache_hits_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_CACHE_HITS, .flags = MF_HTTP,
	    .help = "HTTP cache hits" },
	[FAM_POOL_CURRENT_QUEUE] = {
	    .name = "pool_current_queue", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_QCUR,
	    .help = "Requests waiting in the queue now" },
	[FAM_POOL_MAX_QUEUE] = {
	    .name = "pool_max_queue", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_QMAX,
	    .help = "Most requests ever waiting in the queue" },
	[FAM_POOL_CURRENT_SESSIONS] = {
	    .name = "pool_current_sessions", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_SCUR,
	    .help = "Sessions open now" },
	[FAM_POOL_MAX_SESSIONS] = {
	    .name = "pool_max_sessions", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_SMAX,
	    .help = "Most sessions ever open at once" },
	[FAM_POOL_LIMIT_SESSIONS] = {
	    .name = "pool_limit_sessions", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_SLIM,
	    .help = "Configured session limit" },
	[FAM_POOL_SESSIONS_TOTAL] = {
	    .name = "pool_sessions_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_STOT,
	    .help = "Sessions handled since start" },
	[FAM_POOL_BYTES_IN_TOTAL] = {
	    .name = "pool_bytes_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_BIN,
	    .help = "Bytes received" },
	[FAM_POOL_BYTES_OUT_TOTAL] = {
	    .name = "pool_bytes_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_BOUT,
	    .help = "Bytes sent" },
	[FAM_POOL_REQUESTS_DENIED_TOTAL] = {
	    .name = "pool_requests_denied_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_DREQ,
	    .help = "Requests refused by security rules" },
	[FAM_POOL_RESPONSES_DENIED_TOTAL] = {
	    .name = "pool_responses_denied_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_DRESP,
	    .help = "Responses refused by security rules" },
	[FAM_POOL_CONNECTION_ERRORS_TOTAL] = {
	    .name = "pool_connection_errors_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_ECON,
	    .help = "Failed attempts to connect to a member" },
	[FAM_POOL_RESPONSE_ERRORS_TOTAL] = {
	    .name = "pool_response_errors_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_ERESP,
	    .help = "Responses that failed with an error" },
	[FAM_POOL_RETRY_WARNINGS_TOTAL] = {
	    .name = "pool_retry_warnings_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_WRETR,
	    .help = "Connection retries" },
	[FAM_POOL_REDISPATCH_WARNINGS_TOTAL] = {
	    .name = "pool_redispatch_warnings_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_WREDIS,
	    .help = "Sessions redispatched to another member" },
	[FAM_POOL_STATUS] = {
	    .name = "pool_status", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_STATUS, .src = COL_STATUS,
	    .help = "Current state, one series per state set to 1 on the current one" },
	[FAM_POOL_ACTIVE_MEMBERS] = {
	    .name = "pool_active_members", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_ACT,
	    .help = "Active members carrying traffic" },
	[FAM_POOL_BACKUP_MEMBERS] = {
	    .name = "pool_backup_members", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_BCK,
	    .help = "Backup members carrying traffic" },
	[FAM_POOL_CHECK_UP_DOWN_TOTAL] = {
	    .name = "pool_check_up_down_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_CHKDOWN,
	    .help = "Transitions from UP to DOWN" },
	[FAM_POOL_CHECK_LAST_CHANGE_SECONDS] = {
	    .name = "pool_check_last_change_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_LASTCHG,
	    .help = "Seconds since the last UP/DOWN transition" },
	[FAM_POOL_DOWNTIME_SECONDS_TOTAL] = {
	    .name = "pool_downtime_seconds_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_DOWNTIME,
	    .help = "Seconds spent DOWN" },
	[FAM_POOL_LOADBALANCED_TOTAL] = {
	    .name = "pool_loadbalanced_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_LBTOT,
	    .help = "Times chosen by the load-balancing algorithm" },
	[FAM_POOL_MAX_SESSION_RATE] = {
	    .name = "pool_max_session_rate", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_RATE_MAX,
	    .help = "Most new sessions in one second" },
	[FAM_POOL_HTTP_RESPONSES_TOTAL] = {
	    .name = "pool_http_responses_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_HRSP, .src = COL_HRSP_1XX, .flags = MF_HTTP,
	    .help = "HTTP responses by status class" },
	[FAM_POOL_HTTP_REQUESTS_TOTAL] = {
	    .name = "pool_http_requests_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_REQ_TOT, .flags = MF_HTTP,
	    .help = "HTTP requests received" },
	[FAM_POOL_CLIENT_ABORTS_TOTAL] = {
	    .name = "pool_client_aborts_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_CLI_ABRT,
	    .help = "Transfers aborted by the client" },
	[FAM_POOL_MEMBER_ABORTS_TOTAL] = {
	    .name = "pool_member_aborts_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_SRV_ABRT,
	    .help = "Transfers aborted by the member" },
	[FAM_POOL_HTTP_COMP_BYTES_IN_TOTAL] = {
	    .name = "pool_http_comp_bytes_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_COMP_IN, .flags = MF_HTTP,
	    .help = "HTTP bytes fed to the compressor" },
	[FAM_POOL_HTTP_COMP_BYTES_OUT_TOTAL] = {
	    .name = "pool_http_comp_bytes_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_COMP_OUT, .flags = MF_HTTP,
	    .help = "HTTP bytes produced by the compressor" },
	[FAM_POOL_HTTP_COMP_BYTES_BYPASSED_TOTAL] = {
	    .name = "pool_http_comp_bytes_bypassed_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_COMP_BYP, .flags = MF_HTTP,
	    .help = "HTTP bytes that bypassed the compressor" },
	[FAM_POOL_HTTP_COMP_RESPONSES_TOTAL] = {
	    .name = "pool_http_comp_responses_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_COMP_RSP, .flags = MF_HTTP,
	    .help = "HTTP responses that were compressed" },
	[FAM_POOL_LAST_SESSION_SECONDS] = {
	    .name = "pool_last_session_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_LASTSESS,
	    .help = "Seconds since the last session, -1 if none yet" },
	[FAM_POOL_QUEUE_TIME_AVERAGE_SECONDS] = {
	    .name = "pool_queue_time_average_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_MS, .src = COL_QTIME,
	    .help = "Average queue time over the last 1024 requests, in seconds" },
	[FAM_POOL_CONNECT_TIME_AVERAGE_SECONDS] = {
	    .name = "pool_connect_time_average_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_MS, .src = COL_CTIME,
	    .help = "Average connect time over the last 1024 requests, in seconds" },
	[FAM_POOL_RESPONSE_TIME_AVERAGE_SECONDS] = {
	    .name = "pool_response_time_average_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_MS, .src = COL_RTIME,
	    .help = "Average response time over the last 1024 requests, in seconds" },
	[FAM_POOL_TOTAL_TIME_AVERAGE_SECONDS] = {
	    .name = "pool_total_time_average_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_MS, .src = COL_TTIME,
	    .help = "Average total session time over the last 1024 requests, in seconds" },
	[FAM_POOL_FAILED_HEADER_REWRITING_TOTAL] = {
	    .name = "pool_failed_header_rewriting_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_WREW,
	    .help = "Failed header rewrites" },
	[FAM_POOL_CONNECTION_ATTEMPTS_TOTAL] = {
	    .name = "pool_connection_attempts_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_CONNECT,
	    .help = "Connection attempts to members" },
	[FAM_POOL_CONNECTION_REUSES_TOTAL] = {
	    .name = "pool_connection_reuses_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_REUSE,
	    .help = "Reused connections to members" },
	[FAM_POOL_HTTP_CACHE_LOOKUPS_TOTAL] = {
	    .name = "pool_http_cache_lookups_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_CACHE_LOOKUPS, .flags = MF_HTTP,
	    .help = "HTTP cache lookups" },
	[FAM_POOL_HTTP_CACHE_HITS_TOTAL] = {
	    .name = "pool_http_cache_hits_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_CACHE_HITS, .flags = MF_HTTP,
	    .help = "HTTP cache hits" },
	[FAM_POOL_MAX_QUEUE_TIME_SECONDS] = {
	    .name = "pool_max_queue_time_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_MS, .src = COL_QTIME_MAX,
	    .help = "Longest queue time seen, in seconds" },
	[FAM_POOL_MAX_CONNECT_TIME_SECONDS] = {
	    .name = "pool_max_connect_time_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_MS, .src = COL_CTIME_MAX,
	    .help = "Longest connect time seen, in seconds" },
	[FAM_POOL_MAX_RESPONSE_TIME_SECONDS] = {
	    .name = "pool_max_response_time_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_MS, .src = COL_RTIME_MAX,
	    .help = "Longest response time seen, in seconds" },
	[FAM_POOL_MAX_TOTAL_TIME_SECONDS] = {
	    .name = "pool_max_total_time_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_MS, .src = COL_TTIME_MAX,
	    .help = "Longest total session time seen, in seconds" },
	[FAM_MEMBER_CURRENT_QUEUE] = {
	    .name = "member_current_queue", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_QCUR,
	    .help = "Requests waiting in the queue now" },
	[FAM_MEMBER_MAX_QUEUE] = {
	    .name = "member_max_queue", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_QMAX,
	    .help = "Most requests ever waiting in the queue" },
	[FAM_MEMBER_CURRENT_SESSIONS] = {
	    .name = "member_current_sessions", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_SCUR,
	    .help = "Sessions open now" },
	[FAM_MEMBER_MAX_SESSIONS] = {
	    .name = "member_max_sessions", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_SMAX,
	    .help = "Most sessions ever open at once" },
	[FAM_MEMBER_LIMIT_SESSIONS] = {
	    .name = "member_limit_sessions", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_SLIM,
	    .help = "Configured session limit" },
	[FAM_MEMBER_SESSIONS_TOTAL] = {
	    .name = "member_sessions_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_STOT,
	    .help = "Sessions handled since start" },
	[FAM_MEMBER_BYTES_IN_TOTAL] = {
	    .name = "member_bytes_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_BIN,
	    .help = "Bytes received" },
	[FAM_MEMBER_BYTES_OUT_TOTAL] = {
	    .name = "member_bytes_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_BOUT,
	    .help = "Bytes sent" },
	[FAM_MEMBER_RESPONSES_DENIED_TOTAL] = {
	    .name = "member_responses_denied_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_DRESP,
	    .help = "Responses refused by security rules" },
	[FAM_MEMBER_CONNECTION_ERRORS_TOTAL] = {
	    .name = "member_connection_errors_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_ECON,
	    .help = "Failed attempts to connect to a member" },
	[FAM_MEMBER_RESPONSE_ERRORS_TOTAL] = {
	    .name = "member_response_errors_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_ERESP,
	    .help = "Responses that failed with an error" },
	[FAM_MEMBER_RETRY_WARNINGS_TOTAL] = {
	    .name = "member_retry_warnings_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_WRETR,
	    .help = "Connection retries" },
	[FAM_MEMBER_REDISPATCH_WARNINGS_TOTAL] = {
	    .name = "member_redispatch_warnings_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_WREDIS,
	    .help = "Sessions redispatched to another member" },
	[FAM_MEMBER_STATUS] = {
	    .name = "member_status", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_STATUS, .src = COL_STATUS,
	    .help = "Current state, one series per state set to 1 on the current one" },
	[FAM_MEMBER_WEIGHT] = {
	    .name = "member_weight", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_WEIGHT,
	    .help = "Effective load-balancing weight" },
	[FAM_MEMBER_CHECK_FAILURES_TOTAL] = {
	    .name = "member_check_failures_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_CHKFAIL,
	    .help = "Failed health checks" },
	[FAM_MEMBER_CHECK_UP_DOWN_TOTAL] = {
	    .name = "member_check_up_down_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_CHKDOWN,
	    .help = "Transitions from UP to DOWN" },
	[FAM_MEMBER_CHECK_LAST_CHANGE_SECONDS] = {
	    .name = "member_check_last_change_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_LASTCHG,
	    .help = "Seconds since the last UP/DOWN transition" },
	[FAM_MEMBER_DOWNTIME_SECONDS_TOTAL] = {
	    .name = "member_downtime_seconds_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_DOWNTIME,
	    .help = "Seconds spent DOWN" },
	[FAM_MEMBER_QUEUE_LIMIT] = {
	    .name = "member_queue_limit", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_QLIMIT,
	    .help = "Configured queue limit" },
	[FAM_MEMBER_CURRENT_THROTTLE] = {
	    .name = "member_current_throttle", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_THROTTLE,
	    .help = "Slow-start throttle percentage" },
	[FAM_MEMBER_LOADBALANCED_TOTAL] = {
	    .name = "member_loadbalanced_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_LBTOT,
	    .help = "Times chosen by the load-balancing algorithm" },
	[FAM_MEMBER_MAX_SESSION_RATE] = {
	    .name = "member_max_session_rate", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_RATE_MAX,
	    .help = "Most new sessions in one second" },
	[FAM_MEMBER_HTTP_RESPONSES_TOTAL] = {
	    .name = "member_http_responses_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_HRSP, .src = COL_HRSP_1XX, .flags = MF_HTTP,
	    .help = "HTTP responses by status class" },
	[FAM_MEMBER_CLIENT_ABORTS_TOTAL] = {
	    .name = "member_client_aborts_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_CLI_ABRT,
	    .help = "Transfers aborted by the client" },
	[FAM_MEMBER_SERVER_ABORTS_TOTAL] = {
	    .name = "member_server_aborts_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_SRV_ABRT,
	    .help = "Transfers aborted by the member" },
	[FAM_MEMBER_LAST_SESSION_SECONDS] = {
	    .name = "member_last_session_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_LASTSESS,
	    .help = "Seconds since the last session, -1 if none yet" },
	[FAM_MEMBER_QUEUE_TIME_AVERAGE_SECONDS] = {
	    .name = "member_queue_time_average_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_MS, .src = COL_QTIME,
	    .help = "Average queue time over the last 1024 requests, in seconds" },
	[FAM_MEMBER_CONNECT_TIME_AVERAGE_SECONDS] = {
	    .name = "member_connect_time_average_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_MS, .src = COL_CTIME,
	    .help = "Average connect time over the last 1024 requests, in seconds" },
	[FAM_MEMBER_RESPONSE_TIME_AVERAGE_SECONDS] = {
	    .name = "member_response_time_average_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_MS, .src = COL_RTIME,
	    .help = "Average response time over the last 1024 requests, in seconds" },
	[FAM_MEMBER_TOTAL_TIME_AVERAGE_SECONDS] = {
	    .name = "member_total_time_average_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_MS, .src = COL_TTIME,
	    .help = "Average total session time over the last 1024 requests, in seconds" },
	[FAM_MEMBER_FAILED_HEADER_REWRITING_TOTAL] = {
	    .name = "member_failed_header_rewriting_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_WREW,
	    .help = "Failed header rewrites" },
	[FAM_MEMBER_CONNECTION_ATTEMPTS_TOTAL] = {
	    .name = "member_connection_attempts_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_CONNECT,
	    .help = "Connection attempts to members" },
	[FAM_MEMBER_CONNECTION_REUSES_TOTAL] = {
	    .name = "member_connection_reuses_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_REUSE,
	    .help = "Reused connections to members" },
	[FAM_MEMBER_IDLE_CONNECTIONS_CURRENT] = {
	    .name = "member_idle_connections_current", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_SRV_ICUR,
	    .help = "Idle connections available for reuse" },
	[FAM_MEMBER_IDLE_CONNECTIONS_LIMIT] = {
	    .name = "member_idle_connections_limit", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_SRC_ILIM,
	    .help = "Limit of idle connections kept for reuse" },
	[FAM_MEMBER_MAX_QUEUE_TIME_SECONDS] = {
	    .name = "member_max_queue_time_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_MS, .src = COL_QTIME_MAX,
	    .help = "Longest queue time seen, in seconds" },
	[FAM_MEMBER_MAX_CONNECT_TIME_SECONDS] = {
	    .name = "member_max_connect_time_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_MS, .src = COL_CTIME_MAX,
	    .help = "Longest connect time seen, in seconds" },
	[FAM_MEMBER_MAX_RESPONSE_TIME_SECONDS] = {
	    .name = "member_max_response_time_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_MS, .src = COL_RTIME_MAX,
	    .help = "Longest response time seen, in seconds" },
	[FAM_MEMBER_MAX_TOTAL_TIME_SECONDS] = {
	    .name = "member_max_total_time_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_MS, .src = COL_TTIME_MAX,
	    .help = "Longest total session time seen, in seconds" },

	/* Octavia's operating status, as its health manager computes it. */
	[FAM_LOADBALANCER_OPERATING_STATUS] = {
	    .name = "loadbalancer_operating_status", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_OPSTATUS,
	    .help = "Operating status as Octavia computes it (ONLINE, DEGRADED, "
	        "ERROR), one series per status set to 1 on the current one" },
	[FAM_LISTENER_OPERATING_STATUS] = {
	    .name = "listener_operating_status", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_OPSTATUS,
	    .help = "Operating status as Octavia computes it (ONLINE, DEGRADED, "
	        "OFFLINE), one series per status set to 1 on the current one" },
	[FAM_POOL_OPERATING_STATUS] = {
	    .name = "pool_operating_status", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_OPSTATUS,
	    .help = "Operating status as Octavia computes it (ONLINE, DEGRADED, "
	        "ERROR), one series per status set to 1 on the current one" },
	[FAM_MEMBER_OPERATING_STATUS] = {
	    .name = "member_operating_status", .type = MT_GAUGE,
	    .scope = SCOPE_MEMBER, .conv = CONV_OPSTATUS,
	    .help = "Operating status as Octavia computes it (ONLINE, DRAINING, "
	        "ERROR, NO_MONITOR, OFFLINE), one series per status set to 1 on "
	        "the current one" },

	/* UDP and SCTP listeners have packets (IPVS), not requests. */
	[FAM_LISTENER_PACKETS_IN_TOTAL] = {
	    .name = "listener_packets_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_IPVS_INPKTS,
	    .help = "Packets received (UDP and SCTP listeners, from IPVS)" },
	[FAM_LISTENER_PACKETS_OUT_TOTAL] = {
	    .name = "listener_packets_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_INT, .src = COL_IPVS_OUTPKTS,
	    .help = "Packets sent (UDP and SCTP listeners, from IPVS)" },
	[FAM_POOL_PACKETS_IN_TOTAL] = {
	    .name = "pool_packets_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_IPVS_INPKTS,
	    .help = "Packets received (UDP and SCTP pools, from IPVS)" },
	[FAM_POOL_PACKETS_OUT_TOTAL] = {
	    .name = "pool_packets_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_INT, .src = COL_IPVS_OUTPKTS,
	    .help = "Packets sent (UDP and SCTP pools, from IPVS)" },
	[FAM_MEMBER_PACKETS_IN_TOTAL] = {
	    .name = "member_packets_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_IPVS_INPKTS,
	    .help = "Packets sent to the member (UDP and SCTP, from IPVS)" },
	[FAM_MEMBER_PACKETS_OUT_TOTAL] = {
	    .name = "member_packets_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_INT, .src = COL_IPVS_OUTPKTS,
	    .help = "Packets from the member (UDP and SCTP, from IPVS)" },

	/*
	 * HAProxy's extra counters (2.4 on; HTTP/1's 2.6 on), only for the
	 * objects that have the module: TLS for a listener with a TLS bind
	 * and a member reached over TLS (and its pool), HTTP/2 and HTTP/1 for
	 * an HTTP listener, HTTP/1 for an HTTP pool and HTTP/2 for one whose
	 * members speak it. A TCP listener has none of them.
	 */
	[FAM_LISTENER_TLS_SESSIONS_TOTAL] = {
	    .name = "listener_tls_sessions_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_SSL_SESS,
	    .help = "TLS handshakes that made a new session (full handshakes) (TLS listeners)" },
	[FAM_LISTENER_TLS_REUSED_SESSIONS_TOTAL] = {
	    .name = "listener_tls_reused_sessions_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_SSL_REUSED_SESS,
	    .help = "TLS handshakes that resumed a session (TLS listeners)" },
	[FAM_LISTENER_TLS_FAILED_HANDSHAKES_TOTAL] = {
	    .name = "listener_tls_failed_handshakes_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_SSL_FAILED_HANDSHAKE,
	    .help = "TLS handshakes that failed (TLS listeners)" },
	[FAM_LISTENER_HTTP2_FRAMES_RECEIVED_TOTAL] = {
	    .name = "listener_http2_frames_received_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H2_HEADERS_RCVD, .n = 5,
	    .help = "HTTP/2 frames received, by type (headers, data, settings, rst_stream, goaway)" },
	[FAM_LISTENER_HTTP2_FRAMES_SENT_TOTAL] = {
	    .name = "listener_http2_frames_sent_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H2_RST_STREAM_RESP, .n = 2,
	    .help = "HTTP/2 frames sent, by type (rst_stream, goaway)" },
	[FAM_LISTENER_HTTP2_PROTOCOL_ERRORS_TOTAL] = {
	    .name = "listener_http2_protocol_errors_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H2_CONN_PROTOCOL_ERRORS, .n = 2,
	    .help = "HTTP/2 protocol errors detected, by level (connection, stream)" },
	[FAM_LISTENER_HTTP2_CURRENT_CONNECTIONS] = {
	    .name = "listener_http2_current_connections", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H2_OPEN_CONNECTIONS,
	    .help = "HTTP/2 connections open" },
	[FAM_LISTENER_HTTP2_CURRENT_STREAMS] = {
	    .name = "listener_http2_current_streams", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H2_OPEN_STREAMS,
	    .help = "HTTP/2 streams open" },
	[FAM_LISTENER_HTTP2_CONNECTIONS_TOTAL] = {
	    .name = "listener_http2_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H2_TOTAL_CONNECTIONS,
	    .help = "HTTP/2 connections opened" },
	[FAM_LISTENER_HTTP2_STREAMS_TOTAL] = {
	    .name = "listener_http2_streams_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H2_TOTAL_STREAMS,
	    .help = "HTTP/2 streams opened" },
	[FAM_LISTENER_HTTP1_CURRENT_CONNECTIONS] = {
	    .name = "listener_http1_current_connections", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H1_OPEN_CONNECTIONS,
	    .help = "HTTP/1 connections open" },
	[FAM_LISTENER_HTTP1_CURRENT_STREAMS] = {
	    .name = "listener_http1_current_streams", .type = MT_GAUGE,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H1_OPEN_STREAMS,
	    .help = "HTTP/1 streams open" },
	[FAM_LISTENER_HTTP1_CONNECTIONS_TOTAL] = {
	    .name = "listener_http1_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H1_TOTAL_CONNECTIONS,
	    .help = "HTTP/1 connections opened" },
	[FAM_LISTENER_HTTP1_STREAMS_TOTAL] = {
	    .name = "listener_http1_streams_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H1_TOTAL_STREAMS,
	    .help = "HTTP/1 streams opened" },
	[FAM_LISTENER_HTTP1_BYTES_IN_TOTAL] = {
	    .name = "listener_http1_bytes_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H1_BYTES_IN,
	    .help = "Bytes received over HTTP/1" },
	[FAM_LISTENER_HTTP1_BYTES_OUT_TOTAL] = {
	    .name = "listener_http1_bytes_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H1_BYTES_OUT,
	    .help = "Bytes sent over HTTP/1" },
	[FAM_LISTENER_HTTP1_SPLICED_BYTES_IN_TOTAL] = {
	    .name = "listener_http1_spliced_bytes_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H1_SPLICED_BYTES_IN,
	    .help = "Bytes of those received over HTTP/1 that were spliced" },
	[FAM_LISTENER_HTTP1_SPLICED_BYTES_OUT_TOTAL] = {
	    .name = "listener_http1_spliced_bytes_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_LISTENER, .conv = CONV_EXT, .src = EXT_H1_SPLICED_BYTES_OUT,
	    .help = "Bytes of those sent over HTTP/1 that were spliced" },
	[FAM_POOL_TLS_SESSIONS_TOTAL] = {
	    .name = "pool_tls_sessions_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_SSL_SESS,
	    .help = "TLS handshakes that made a new session (full handshakes) (members over TLS)" },
	[FAM_POOL_TLS_REUSED_SESSIONS_TOTAL] = {
	    .name = "pool_tls_reused_sessions_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_SSL_REUSED_SESS,
	    .help = "TLS handshakes that resumed a session (members over TLS)" },
	[FAM_POOL_TLS_FAILED_HANDSHAKES_TOTAL] = {
	    .name = "pool_tls_failed_handshakes_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_SSL_FAILED_HANDSHAKE,
	    .help = "TLS handshakes that failed (members over TLS)" },
	[FAM_POOL_HTTP2_FRAMES_RECEIVED_TOTAL] = {
	    .name = "pool_http2_frames_received_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H2_HEADERS_RCVD, .n = 5,
	    .help = "HTTP/2 frames received, by type (headers, data, settings, rst_stream, goaway)" },
	[FAM_POOL_HTTP2_FRAMES_SENT_TOTAL] = {
	    .name = "pool_http2_frames_sent_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H2_RST_STREAM_RESP, .n = 2,
	    .help = "HTTP/2 frames sent, by type (rst_stream, goaway)" },
	[FAM_POOL_HTTP2_PROTOCOL_ERRORS_TOTAL] = {
	    .name = "pool_http2_protocol_errors_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H2_CONN_PROTOCOL_ERRORS, .n = 2,
	    .help = "HTTP/2 protocol errors detected, by level (connection, stream)" },
	[FAM_POOL_HTTP2_CURRENT_CONNECTIONS] = {
	    .name = "pool_http2_current_connections", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H2_OPEN_CONNECTIONS,
	    .help = "HTTP/2 connections open" },
	[FAM_POOL_HTTP2_CURRENT_STREAMS] = {
	    .name = "pool_http2_current_streams", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H2_OPEN_STREAMS,
	    .help = "HTTP/2 streams open" },
	[FAM_POOL_HTTP2_CONNECTIONS_TOTAL] = {
	    .name = "pool_http2_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H2_TOTAL_CONNECTIONS,
	    .help = "HTTP/2 connections opened" },
	[FAM_POOL_HTTP2_STREAMS_TOTAL] = {
	    .name = "pool_http2_streams_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H2_TOTAL_STREAMS,
	    .help = "HTTP/2 streams opened" },
	[FAM_POOL_HTTP1_CURRENT_CONNECTIONS] = {
	    .name = "pool_http1_current_connections", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H1_OPEN_CONNECTIONS,
	    .help = "HTTP/1 connections open" },
	[FAM_POOL_HTTP1_CURRENT_STREAMS] = {
	    .name = "pool_http1_current_streams", .type = MT_GAUGE,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H1_OPEN_STREAMS,
	    .help = "HTTP/1 streams open" },
	[FAM_POOL_HTTP1_CONNECTIONS_TOTAL] = {
	    .name = "pool_http1_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H1_TOTAL_CONNECTIONS,
	    .help = "HTTP/1 connections opened" },
	[FAM_POOL_HTTP1_STREAMS_TOTAL] = {
	    .name = "pool_http1_streams_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H1_TOTAL_STREAMS,
	    .help = "HTTP/1 streams opened" },
	[FAM_POOL_HTTP1_BYTES_IN_TOTAL] = {
	    .name = "pool_http1_bytes_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H1_BYTES_IN,
	    .help = "Bytes received over HTTP/1" },
	[FAM_POOL_HTTP1_BYTES_OUT_TOTAL] = {
	    .name = "pool_http1_bytes_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H1_BYTES_OUT,
	    .help = "Bytes sent over HTTP/1" },
	[FAM_POOL_HTTP1_SPLICED_BYTES_IN_TOTAL] = {
	    .name = "pool_http1_spliced_bytes_in_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H1_SPLICED_BYTES_IN,
	    .help = "Bytes of those received over HTTP/1 that were spliced" },
	[FAM_POOL_HTTP1_SPLICED_BYTES_OUT_TOTAL] = {
	    .name = "pool_http1_spliced_bytes_out_total", .type = MT_COUNTER,
	    .scope = SCOPE_POOL, .conv = CONV_EXT, .src = EXT_H1_SPLICED_BYTES_OUT,
	    .help = "Bytes of those sent over HTTP/1 that were spliced" },
	[FAM_MEMBER_TLS_SESSIONS_TOTAL] = {
	    .name = "member_tls_sessions_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_EXT, .src = EXT_SSL_SESS,
	    .help = "TLS handshakes that made a new session (full handshakes) (members over TLS)" },
	[FAM_MEMBER_TLS_REUSED_SESSIONS_TOTAL] = {
	    .name = "member_tls_reused_sessions_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_EXT, .src = EXT_SSL_REUSED_SESS,
	    .help = "TLS handshakes that resumed a session (members over TLS)" },
	[FAM_MEMBER_TLS_FAILED_HANDSHAKES_TOTAL] = {
	    .name = "member_tls_failed_handshakes_total", .type = MT_COUNTER,
	    .scope = SCOPE_MEMBER, .conv = CONV_EXT, .src = EXT_SSL_FAILED_HANDSHAKE,
	    .help = "TLS handshakes that failed (members over TLS)" },

	/* The agent's own. */
	[FAM_EXPORTER_HAPROXY_UP] = {
	    .name = "exporter_haproxy_up", .type = MT_GAUGE,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_HAPROXY_UP,
	    .help = "1 when the metrics served come from a complete read of HAProxy" },
	[FAM_EXPORTER_IPVS_UP] = {
	    .name = "exporter_ipvs_up", .type = MT_GAUGE,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_IPVS_UP,
	    .help = "1 when the UDP and SCTP metrics served come from a whole "
	        "read of IPVS; absent without UDP or SCTP listeners" },
	[FAM_EXPORTER_SCRAPE_DURATION_SECONDS] = {
	    .name = "exporter_scrape_duration_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_SCRAPE_DURATION,
	    .help = "Time the stats socket read behind this snapshot took, NaN without one" },
	[FAM_EXPORTER_SNAPSHOT_AGE_SECONDS] = {
	    .name = "exporter_snapshot_age_seconds", .type = MT_GAUGE,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_SNAPSHOT_AGE,
	    .help = "Age of the snapshot served, NaN without one" },
	[FAM_EXPORTER_SOCKET_QUERIES_TOTAL] = {
	    .name = "exporter_socket_queries_total", .type = MT_COUNTER,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_SOCKET_QUERIES,
	    .help = "Queries made on the HAProxy stats socket" },
	[FAM_EXPORTER_CSV_ERRORS_TOTAL] = {
	    .name = "exporter_csv_errors_total", .type = MT_COUNTER,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_CSV_ERRORS,
	    .help = "Stats rows skipped as malformed" },
	[FAM_EXPORTER_CODED_PIECES_BYTES] = {
	    .name = "exporter_coded_pieces_bytes", .type = MT_GAUGE,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_CODED_PIECES,
	    .help = "Memory the gzip and zstd pieces kept for the next bodies take" },
	[FAM_EXPORTER_DENIED_CONNECTIONS_TOTAL] = {
	    .name = "exporter_denied_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_DENIED_CONNECTIONS,
	    .help = "Connections refused because the peer is not in allowed_cidrs" },
	[FAM_EXPORTER_REJECTED_CONNECTIONS_TOTAL] = {
	    .name = "exporter_rejected_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_REJECTED_CONNECTIONS,
	    .help = "Connections the agent refused or closed to stay within its limits, " "by reason" },
	[FAM_EXPORTER_TLS_HANDSHAKE_FAILURES_TOTAL] = {
	    .name = "exporter_tls_handshake_failures_total", .type = MT_COUNTER,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_TLS_HANDSHAKE_FAILURES,
	    .help = "TLS handshakes that failed on a listener, by reason" },
	[FAM_EXPORTER_TLS_CONNECTIONS_TOTAL] = {
	    .name = "exporter_tls_connections_total", .type = MT_COUNTER,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_TLS_CONNECTIONS,
	    .help = "TLS handshakes completed on a listener, by protocol version" },
	[FAM_LISTENER_CERTIFICATE_EXPIRY_TIMESTAMP_SECONDS] = {
	    .name = "listener_certificate_expiry_timestamp_seconds",
	    .type = MT_GAUGE, .scope = SCOPE_LISTENER, .conv = CONV_AGENT,
	    .src = AGENT_CERT_EXPIRY,
	    .help = "When a certificate of a TLS listener expires (its notAfter), "
	        "by name and usage: server, or client_ca" },
	[FAM_LISTENER_CRL_NEXT_UPDATE_TIMESTAMP_SECONDS] = {
	    .name = "listener_crl_next_update_timestamp_seconds",
	    .type = MT_GAUGE, .scope = SCOPE_LISTENER, .conv = CONV_AGENT,
	    .src = AGENT_CRL_NEXT_UPDATE,
	    .help = "When a TLS listener's CRL is due to be replaced (its "
	        "nextUpdate), by issuer" },
	[FAM_EXPORTER_CERTIFICATE_FILE_ERRORS_TOTAL] = {
	    .name = "exporter_certificate_file_errors_total", .type = MT_COUNTER,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT,
	    .src = AGENT_CERT_FILE_ERRORS,
	    .help = "Certificate, CA and CRL files of HAProxy's TLS listeners "
	        "that could not be opened or parsed, at each read" },
	[FAM_EXPORTER_BUILD_INFO] = {
	    .name = "exporter_build_info", .type = MT_GAUGE,
	    .scope = SCOPE_EXPORTER, .conv = CONV_AGENT, .src = AGENT_BUILD_INFO,
	    .help = "Version of the agent, as a label" },
	[FAM_LOADBALANCER_INFO] = {
	    .name = "loadbalancer_info", .type = MT_GAUGE,
	    .scope = SCOPE_LOADBALANCER, .conv = CONV_AGENT, .src = AGENT_LOADBALANCER_INFO,
	    .help = "The load balancer this amphora serves and its HAProxy version" },
};

/* Upstream Octavia serves 144 families from HAProxy 2.6: so do we. */
_Static_assert(FAM_HAPROXY__COUNT == 144, "upstream's families");

const char *const metric_scope_names[SCOPE__COUNT] = {
	[SCOPE_LOADBALANCER] = "loadbalancer",
	[SCOPE_LISTENER] = "listener",
	[SCOPE_POOL] = "pool",
	[SCOPE_MEMBER] = "member",
	[SCOPE_EXPORTER] = "exporter",
};

const char *
metric_type_name(enum metric_type t)
{
	return t == MT_COUNTER ? "counter" : "gauge";
}

/* The scope named by s (not NUL-terminated), or -1. */
int
metric_scope_parse(const char *s, size_t len)
{
	int	 i;

	for (i = 0; i < SCOPE__COUNT; i++)
		if (strlen(metric_scope_names[i]) == len &&
		    memcmp(metric_scope_names[i], s, len) == 0)
			return i;
	return -1;
}
