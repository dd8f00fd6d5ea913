import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip as gzipCallback, constants as zlibConstants } from 'node:zlib';
import type { Request, Response, Server } from 'restify';
import type { Logger } from '../services/logging/logger';
import { projectPath } from '../services/projectPath';
import type { RouteRegistrar } from '../bot/server';

const gzip = promisify(gzipCallback);

/** One file served at one path: read once, compressed once, revalidated by ETag. */
export interface AssetSpec {
  /** Relative to the project root, e.g. src/web/pages/agent.html. */
  file: string;
  contentType: string;
  cacheControl: string;
  headers?: Record<string, string>;
}

interface LoadedAsset {
  body: Buffer;
  gzipped: Buffer | undefined;
  etag: string;
}

export const REVALIDATE = 'no-cache';
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** GET routes for files shipped with the app (pages, scripts, styles): no build step at run time. */
export function staticAssets(assets: Readonly<Record<string, AssetSpec>>, logger: Logger): RouteRegistrar {
  const loaded = new Map<string, Promise<LoadedAsset>>();
  const load = (spec: AssetSpec): Promise<LoadedAsset> => {
    let asset = loaded.get(spec.file);
    if (!asset) {
      asset = loadAsset(spec);
      // A failed read is retried on the next request rather than cached.
      asset.catch(() => loaded.delete(spec.file));
      loaded.set(spec.file, asset);
    }
    return asset;
  };

  return (server: Server) => {
    for (const [path, spec] of Object.entries(assets)) {
      server.get(path, (req: Request, res: Response, next) => {
        load(spec).then(
          (asset) => {
            send(req, res, spec, asset);
            next();
          },
          (error: unknown) => {
            logger.error({ err: error, file: spec.file }, 'static asset missing');
            res.send(500, { error: { code: 'internal', message: 'Something went wrong on our side.' } });
            next();
          },
        );
      });
    }
  };
}

async function loadAsset(spec: AssetSpec): Promise<LoadedAsset> {
  const body = await readFile(projectPath(spec.file));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const compressible = !spec.contentType.startsWith('image/') || spec.contentType.startsWith('image/svg');
  const gzipped = compressible ? await gzip(body, { level: zlibConstants.Z_BEST_COMPRESSION }) : undefined;
  return { body, gzipped: gzipped && gzipped.length < body.length ? gzipped : undefined, etag };
}

function send(req: Request, res: Response, spec: AssetSpec, asset: LoadedAsset): void {
  const headers: Record<string, string> = {
    'Content-Type': spec.contentType,
    'Cache-Control': spec.cacheControl,
    ETag: asset.etag,
    Vary: 'Accept-Encoding',
    ...spec.headers,
  };
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim() === asset.etag)) {
    res.sendRaw(304, '', headers);
    return;
  }
  const acceptsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (asset.gzipped && acceptsGzip) {
    res.sendRaw(200, asset.gzipped, {
      ...headers,
      'Content-Encoding': 'gzip',
      'Content-Length': String(asset.gzipped.length),
    });
    return;
  }
  res.sendRaw(200, asset.body, { ...headers, 'Content-Length': String(asset.body.length) });
}
