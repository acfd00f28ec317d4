// @backend-free: it checks yt-dlp's and ffmpeg's work on files and what the pages say of it; its rows are plain reads and writes, the same on either database (the locks, caps and leases are tested on both: caps, crash-resume, submit, job-failed, shutdown-signals).
// youtube: the file name template and the quality profiles are checked when the config is
// read, so a template that could leave the source's folder, or a profile that does not
// exist, stops MediaNest at start with the reason instead of failing a download later.
import { expect } from 'chai'
import { youtubeConfig } from '../../../plugins/youtube/plugin-config.ts'
import { DEFAULT_TEMPLATE, profileArgs, templateProblem } from '../../../plugins/youtube/profiles.ts'

const refusal = (config: unknown) => {
  const parsed = youtubeConfig.safeParse(config)
  return parsed.success ? null : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')
}

describe('youtube: file name template and quality profiles', () => {
  it('accepts the default template and others that name one file', () => {
    for (const ok of [DEFAULT_TEMPLATE, '%(title)s [%(id)s].%(ext)s', '%(playlist_index)03d - %(title).150B [%(id)s].%(ext)s', '%(upload_date>%Y)s %(channel|someone)s [%(id)s].%(ext)s']) {
      expect(templateProblem(ok), ok).to.equal(null)
    }
  })

  for (const [why, template, message] of [
    ['a parent folder', '../%(title)s [%(id)s].%(ext)s', 'contains / or \\'],
    ['.. inside a name', '%(title)s..[%(id)s].%(ext)s', 'contains ..'],
    ['an absolute path', '/etc/%(id)s.%(ext)s', 'contains / or \\'],
    ['a sub-folder', '%(uploader)s/%(title)s [%(id)s].%(ext)s', 'contains / or \\'],
    ['a backslash', '%(title)s\\[%(id)s].%(ext)s', 'contains / or \\'],
    ['a slash in a default', '%(title|a/b)s [%(id)s].%(ext)s', 'contains / or \\'],
    ['a field that is an address', '%(webpage_url)s [%(id)s].%(ext)s', 'uses the field "webpage_url"'],
    ['an alternate field that is a path', '%(title,filepath)s [%(id)s].%(ext)s', 'uses the field "filepath"'],
    ['no id', '%(title)s.%(ext)s', 'does not contain %(id)s'],
    ['no extension last', '%(title)s [%(id)s]', 'does not end with .%(ext)s'],
    ['a home folder', '~%(title)s [%(id)s].%(ext)s', 'starts with . or ~'],
    ['a hidden file', '.%(title)s [%(id)s].%(ext)s', 'starts with . or ~'],
    ['an unclosed field', '%(title [%(id)s].%(ext)s', 'uses the field "title [%(id"'],
    ['a newline', '%(title)s\n[%(id)s].%(ext)s', 'contains a control character'],
  ] as const) {
    it(`refuses a template with ${why}`, () => {
      expect(templateProblem(template)).to.include(message)
      expect(refusal({ fileTemplate: template })).to.include('fileTemplate: the file name template')
    })
  }

  it('refuses a default profile that is not a profile, two profiles with one id, and a format with a space or a leading dash', () => {
    expect(refusal({ defaultProfile: 'best-4k' })).to.include('defaultProfile: "best-4k" is not one of the profiles (best-1080, up-to-720, audio-m4a)')
    const p = { id: 'a', label: 'A', format: 'b', container: 'mp4' }
    expect(refusal({ profiles: [p, p], defaultProfile: 'a' })).to.include('two profiles have the id "a"')
    expect(refusal({ profiles: [{ ...p, format: 'b --exec x' }], defaultProfile: 'a' })).to.include('profiles.0.format')
    expect(refusal({ profiles: [{ ...p, format: '-b' }], defaultProfile: 'a' })).to.include('must not start with a dash')
    expect(refusal({ profiles: [{ ...p, container: 'avi' }], defaultProfile: 'a' })).to.include('profiles.0.container')
    expect(refusal({ profiles: [{ ...p, subtitles: ['en; rm'] }], defaultProfile: 'a' })).to.include('a language code')
    expect(refusal({})).to.equal(null)
  })

  it('turns a profile into yt-dlp options, leaving out what needs ffmpeg when it is missing', () => {
    const audio = { id: 'a', label: 'A', format: 'ba/b', container: 'm4a' as const, subtitles: [] }
    expect(profileArgs(audio, true)).to.deep.equal(['-f', 'ba/b', '-x', '--audio-format', 'm4a', '--embed-metadata', '--embed-chapters'])
    expect(profileArgs(audio, false)).to.deep.equal(['-f', 'ba/b'])
    const video = { id: 'v', label: 'V', format: 'b', container: 'mkv' as const, subtitles: ['en', 'pt-BR'] }
    expect(profileArgs(video, true)).to.deep.equal(['-f', 'b', '--merge-output-format', 'mkv', '--embed-metadata', '--embed-chapters', '--sub-langs', 'en,pt-BR', '--embed-subs'])
    expect(profileArgs(video, false)).to.deep.equal(['-f', 'b', '--merge-output-format', 'mkv', '--sub-langs', 'en,pt-BR', '--write-subs'])
  })
})
