/** Turns a failed bind into one line that says what happened and what the operator can do about it. */

/** describeListenError explains why `listener` could not bind, with the usual remedies. */
export function describeListenError(listener: string, err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `${listener}: address already in use: another DNS server (systemd-resolved, dnsmasq, a second hradba?) holds it; stop it or change 'listen'`;
    case 'EACCES':
      return `${listener}: permission denied: ports below 1024 need the CAP_NET_BIND_SERVICE capability (or sysctl net.ipv4.ip_unprivileged_port_start=53); or listen on a port >= 1024`;
    case 'EADDRNOTAVAIL':
      return `${listener}: address not available on this host: check 'listen' against the host's addresses`;
    case 'EAFNOSUPPORT':
      return `${listener}: address family not supported (IPv6 disabled?): remove the address from 'listen'`;
    default:
      return `${listener}: cannot listen: ${err.message}`;
  }
}

/** listenerName names one listener as operators write it: `udp 127.0.0.1:53`, `tcp [::1]:53`. */
export function listenerName(kind: 'udp' | 'tcp', address: { readonly host: string; readonly port: number }): string {
  return `${kind} ${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}
