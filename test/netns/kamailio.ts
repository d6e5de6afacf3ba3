// A minimal kamailio.cfg (Kamailio 5.6, Debian modules) for hep-kamailio.test.ts: a stateless
// registrar with digest auth for any user and one password, answering OPTIONS, with siptrace
// sending HEPv3 as an operator would set it up for sipwarden.

export interface KamailioOptions {
  /** "ip:port" to listen on (UDP). */
  listen: string;
  /** "ip:port" that trace_mode mirrors every message to, in and out (the daemon's detect.hep.listen). */
  traceTo: string;
  /** "ip:port" that sip_trace() copies each request to, with its Call-ID as correlation id. */
  copyTo: string;
  captureId: number;
  /** siptrace auth_key (sipwarden's detect.hep.password). */
  authKey: string;
  /** The digest password of every user. */
  password: string;
}

export function kamailioConfig(o: KamailioOptions): string {
  const str = (s: string) => JSON.stringify(s); // test values only: no quotes or backslashes inside
  return `#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=1
auto_aliases=no
disable_tcp=yes
listen=udp:${o.listen}

loadmodule "pv.so"
loadmodule "sl.so"
loadmodule "xlog.so"
loadmodule "auth.so"
loadmodule "siptrace.so"

modparam("siptrace", "hep_mode_on", 1)
modparam("siptrace", "hep_version", 3)
modparam("siptrace", "hep_capture_id", ${o.captureId})
modparam("siptrace", "auth_key", ${str(o.authKey)})
modparam("siptrace", "duplicate_uri", ${str(`sip:${o.traceTo}`)})
modparam("siptrace", "trace_to_database", 0)
modparam("siptrace", "trace_on", 1)
modparam("siptrace", "trace_mode", 1)

event_route[core:worker-one-init] {
  xlog("L_NOTICE", "sipwarden-test: ready\\n");
}

request_route {
  sip_trace(${str(`sip:${o.copyTo}`)}, "$ci");
  if (method == "REGISTER") {
    if (!pv_www_authenticate("$td", ${str(o.password)}, "0")) {
      www_challenge("$td", "0");
      exit;
    }
    sl_send_reply("200", "OK");
    exit;
  }
  if (method == "OPTIONS") {
    sl_send_reply("200", "OK");
    exit;
  }
  sl_send_reply("403", "Forbidden");
}
`;
}
