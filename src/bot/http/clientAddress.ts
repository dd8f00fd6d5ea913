import { BlockList, isIP } from 'node:net';
import type { TrustedProxiesSetting } from '../../config';

/** What the address needs from a request (restify's and node's requests both fit). */
export interface AddressedRequest {
  readonly socket: { readonly remoteAddress?: string | undefined };
  readonly headers: { readonly [name: string]: string | string[] | undefined };
}

/**
 * The client's address, for every limit keyed on IP. X-Forwarded-For is anyone's to write, so it is
 * believed only as far as TRUSTED_PROXIES says: with `hops: n`, the n-th address from the right
 * (each of our n proxies appended the address it saw); with `cidrs`, the right-most address that is
 * not one of our proxies, walking left only while the hop that reported it is a trusted proxy.
 * Unset (hops 0): the socket address, whatever the header says.
 */
export class ClientAddress {
  private readonly proxies: BlockList | undefined;
  private readonly hops: number;

  constructor(setting: TrustedProxiesSetting) {
    if ('cidrs' in setting) {
      this.hops = 0;
      this.proxies = new BlockList();
      for (const cidr of setting.cidrs) {
        const [address = '', bits] = cidr.split('/');
        const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
        if (bits === undefined) this.proxies.addAddress(address, family);
        else this.proxies.addSubnet(address, Number(bits), family);
      }
    } else {
      this.hops = setting.hops;
      this.proxies = undefined;
    }
  }

  of(req: AddressedRequest): string {
    const socket = normalise(req.socket.remoteAddress ?? '') ?? 'unknown';
    if (!this.proxies && this.hops === 0) return socket;
    // Right to left: the socket peer, then what each proxy appended. Entries further left were
    // written by the client and may be anything, so only those our proxies vouch for are read.
    const chain = [socket, ...headerEntries(req.headers['x-forwarded-for']).reverse()];
    if (this.proxies) {
      let index = 0;
      while (index < chain.length - 1 && this.isProxy(chain[index])) {
        const next = normalise(chain[index + 1]);
        if (next === undefined) break;
        chain[index + 1] = next;
        index += 1;
      }
      return chain[index];
    }
    const index = Math.min(this.hops, chain.length - 1);
    // Our own proxy wrote that entry; a garbled one means the hop count is wrong: key on the socket.
    return normalise(chain[index]) ?? socket;
  }

  private isProxy(address: string): boolean {
    const family = isIP(address);
    if (family === 0 || !this.proxies) return false;
    return this.proxies.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

function headerEntries(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  return (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** `1.2.3.4`, `1.2.3.4:5678` (App Service adds the port), `[2001:db8::1]:443`, `::ffff:1.2.3.4` → one spelling. */
function normalise(raw: string): string | undefined {
  let address = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) address = mapped[1];
  return isIP(address) === 0 ? undefined : address.toLowerCase();
}
