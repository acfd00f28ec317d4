import { fileURLToPath } from 'node:url'
import { describePluginConformance } from '../../support/conformance.ts'

describePluginConformance(fileURLToPath(new URL('../../../plugins/youtube', import.meta.url)))
