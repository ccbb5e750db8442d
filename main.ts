// The entry point that `npm start` runs as `node dist/main.js`: the service itself is src/main.ts.
// It lives at the root so that the build keeps src/ and scripts/ side by side under dist/ (the
// scripts import ../src) and still gives the service the short, conventional dist/main.js.
import './src/main.ts';
