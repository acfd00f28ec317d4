// One MediaNest with plex-auth and youtube enabled against a loopback video site and a
// loopback Plex server, the real yt-dlp behind a spy script that logs each run (so a test
// can assert that no process was started), and a library folder in a temp directory.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DownloadStatus } from '../../../plugins/youtube/downloads.ts'
import { startTestHost, type TestHost, type TestHostOptions } from '../../support/test-host.ts'
import { startFakePms, type FakePms, type FakeSection } from '../../support/fake-pms.ts'
import { startFakeVideoHost, type FakeVideoHost } from '../../support/fake-video-host.ts'
import { waitFor } from '../../support/wait-for.ts'
import type { TestClient } from '../../support/http-client.ts'
import { apiKeyAad } from '../../../core/services/configs.ts'
import { resetBreakers } from '../../../core/upstream.ts'

export interface Harness {
  host: TestHost
  pms: FakePms
  videos: FakeVideoHost
  section: FakeSection
  libraryPath: string
  /** The yt-dlp runs so far, one line of arguments each (`--version` checks left out). */
  runs(): string[]
  config: Record<string, unknown>
  stop(): Promise<void>
}

export interface HarnessOptions {
  config?: Record<string, unknown>
  host?: Partial<TestHostOptions>
  plex?: boolean
  /** Also load a plugin that records youtube's events (fixtures/youtube-listener). */
  listen?: boolean
}

/** The loopback host's channel extractors (PYTHONPATH for yt-dlp's plugin loader). */
export const FAKE_EXTRACTORS = fileURLToPath(new URL('../../support/yt-dlp-plugins', import.meta.url))
export const LISTENER_DIR = fileURLToPath(new URL('./fixtures/youtube-listener', import.meta.url))

/** yt-dlp processes (the spy execs python3 /usr/bin/yt-dlp) working on this folder; a zombie's cmdline is empty, so it does not count. */
export function ytDlpProcesses(folder: string): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8')
      return cmd.includes('yt-dlp') && cmd.includes(folder)
    } catch { return false }
  }).map(Number)
}

/** Waits (a killed process is torn down a moment after its parent exits) until no yt-dlp works on this folder; throws naming the ones left. */
export async function noYtDlpLeft(folder: string, timeoutMs = 5_000): Promise<void> {
  await waitFor(`no yt-dlp left on ${folder} (still: ${ytDlpProcesses(folder).join(', ')})`, () => ytDlpProcesses(folder).length === 0, timeoutMs)
}

/** A wrapper that logs its arguments (one run per line) and hands over to the real yt-dlp. */
export function spyYtDlp(dir: string): { bin: string; log: string } {
  const log = path.join(dir, 'yt-dlp-runs.log')
  const bin = path.join(dir, 'yt-dlp-spy')
  fs.writeFileSync(bin, `#!/bin/sh\nexport PYTHONPATH='${FAKE_EXTRACTORS}'\nprintf '%s\\n' "$*" >> '${log}'\nexec /usr/bin/yt-dlp "$@"\n`, { mode: 0o755 })
  return { bin, log }
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mn-youtube-'))
  const libraryPath = path.join(work, 'library')
  fs.mkdirSync(libraryPath)
  const spy = spyYtDlp(work)
  const videos = await startFakeVideoHost()
  const pms = await startFakePms()
  const section = pms.addSection({ type: 'movie', title: 'YouTube', locations: [libraryPath] })
  const config = {
    ytDlpPath: spy.bin, libraryPath, allowedHosts: ['127.0.0.1'], minFreeMiB: 0, plexWaitMs: 3000, metadataTimeoutMs: 30_000,
    ...options.config,
  }
  const host = await startTestHost({
    plugins: {
      'plex-auth': { enabled: true, config: {} }, youtube: { enabled: true, config },
      ...(options.listen ? { 'youtube-listener': { enabled: true, source: LISTENER_DIR } } : {}),
    },
    ...options.host,
  })
  if (options.plex !== false) await configurePlex(host, pms.url, pms.token)
  return {
    host, pms, videos, section, libraryPath, config,
    runs: () => (fs.existsSync(spy.log) ? fs.readFileSync(spy.log, 'utf8').split('\n').filter((l) => l && l !== '--version') : []),
    async stop() {
      await host.stop()
      await videos.close()
      await pms.close()
      resetBreakers()
      fs.rmSync(work, { recursive: true, force: true })
    },
  }
}

export async function configurePlex(host: TestHost, serviceUrl: string, token: string): Promise<void> {
  resetBreakers()
  await host.db('service_configs').where({ service_name: 'plex' }).del()
  await host.db('service_configs').insert({
    service_name: 'plex', service_url: serviceUrl, api_key: host.app.core.secrets.encrypt(token, apiKeyAad('plex')),
    enabled: true, config_data: JSON.stringify({}), sealed_fields: JSON.stringify({}), updated_at: host.db.fn.now(),
  })
}

export interface DownloadRecord {
  id: string; user_id: string; status: DownloadStatus; playlist_url: string; playlist_title: string | null; file_paths: string[] | null
  items_done: number; item_count: number; current_percent: number | null; current_item: number | null; speed_bps: number | null; eta_seconds: number | null; notes: string | null; profile: string | null; error: string | null; plex_state: string
  plex_collection_id: string | null; plex_error: string | null; folder: string; job_id: string | null
  kind: string; thumbnail_url: string | null; archive_key: string; archive_start: number; follow_id: string | null; item_urls: string[] | null
}

export async function rows(host: TestHost, userId?: string): Promise<DownloadRecord[]> {
  const q = host.db('youtube_downloads').orderBy('created_at', 'asc')
  return userId ? q.where({ user_id: userId }) : q
}

export async function waitForStatus(host: TestHost, id: string, status: string, timeoutMs = 60_000): Promise<DownloadRecord> {
  return waitFor(`download ${id} to be ${status}`, async () => {
    const row = await host.db('youtube_downloads').where({ id }).first()
    if (row && row.status === 'failed' && status !== 'failed') throw new Error(`download failed: ${row.error}`)
    return row?.status === status ? (row as DownloadRecord) : undefined
  }, timeoutMs)
}

/** Submits through the form, as a browser without JavaScript does. */
export async function submit(client: TestClient, url: string, extra: Record<string, string> = {}) {
  await client.get('/youtube')
  return client.post('/youtube', { url, ...extra })
}
