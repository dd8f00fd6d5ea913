/**
 * Writes the CLU project (Language Studio import format) generated from the training corpus to
 * deployment/clu/carlinkit-support.json. Run after changing the corpus: npm run clu:export
 */
import { writeFileSync } from 'node:fs';
import {
  buildCluProject,
  CLU_PROJECT_FILE,
  cluProjectSchema,
  serializeCluProject,
} from '../src/services/recognition/cluProject';
import { loadTrainingSources } from '../src/services/recognition/offlineTrainer';

const project = cluProjectSchema.parse(buildCluProject(loadTrainingSources()));
writeFileSync(CLU_PROJECT_FILE, serializeCluProject(project));
console.log(
  `wrote ${CLU_PROJECT_FILE}: ${project.assets.intents.length} intents, ${project.assets.entities.length} entities, ${project.assets.utterances.length} utterances`,
);
