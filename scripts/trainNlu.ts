/**
 * Trains the offline recognizer from src/services/recognition/data/ and writes the model it loads
 * at start-up (data/trainedModel.json). Run after changing the corpus, lexicon, model settings,
 * product catalogue or car makes: npm run nlu:train
 */
import { loadTrainingSources, trainOfflineModel } from '../src/services/recognition/offlineTrainer';
import { DEFAULT_TRAINED_MODEL_FILE, writeTrainedModel } from '../src/services/recognition/trainedModel';

const started = performance.now();
const model = trainOfflineModel(loadTrainingSources());
writeTrainedModel(model, DEFAULT_TRAINED_MODEL_FILE);
console.log(
  `wrote ${DEFAULT_TRAINED_MODEL_FILE}: ${model.features.length} features, ${model.vocabulary.length} words, ${Math.round(performance.now() - started)} ms`,
);
