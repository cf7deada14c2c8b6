import Realtime from './realtime.jsx';

export default function Page() {
  return <Realtime />;
}
