import { main } from './server/serve';

main();
